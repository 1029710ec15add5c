import ArgumentParser
import InfillEngine
import InfillScheduler
import SEDDModel

/// `--temperature`, `--unmasking` and `--context-refresh`: how the sampler turns the model's rows into fills, shared by
/// every command that fills holes. Absent, the model's own decoding applies (config `sedd.decoding`;
/// docs/default-model.md says how the default model's was chosen), else the reference's.
struct DecodingOptions: ParsableArguments {
    @Option(help: "Sampling temperature, 0 to 2: 0 takes each revealed position's likeliest token, 1 draws as the reference does. Default: the model's config (sedd.decoding), else 1.")
    var temperature: Double?

    @Option(help: "Which masked positions each step reveals: random (the reference) or confident (the model's surest first). Default: the model's config (sedd.decoding), else random.")
    var unmasking: Unmasking?

    @Option(help: "Every how many sampler passes the context is computed in full, 1 to 1024: 1 is every pass (the reference); k > 1 runs the passes between on the holes only, against the context's keys and values of the last full pass (faster, approximate). Default: the model's config (sedd.decoding), else 1.")
    var contextRefresh: Int?

    func validate() throws {
        if let temperature, !StepTemperature.range.contains(temperature) {
            throw CLIError("--temperature must be 0 to 2, got \(temperature)")
        }
        if let contextRefresh, !SamplingOptions.contextRefreshRange.contains(contextRefresh) {
            let range = SamplingOptions.contextRefreshRange
            throw CLIError("--context-refresh must be \(range.lowerBound) to \(range.upperBound), got \(contextRefresh)")
        }
    }

    /// The daemon's twin of `unmasking`.
    var unmaskingKind: UnmaskingKind? { unmasking.map { $0 == .confident ? .confident : .random } }
}
