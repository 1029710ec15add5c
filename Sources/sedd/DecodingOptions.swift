import ArgumentParser
import InfillEngine
import InfillScheduler
import SEDDModel

/// `--temperature` and `--unmasking`: how the sampler turns the model's rows into fills, shared by
/// every command that fills holes. Absent, the engine's defaults apply (docs/default-model.md says
/// how they were chosen).
struct DecodingOptions: ParsableArguments {
    @Option(help: "Sampling temperature, 0 to 2: 0 takes each revealed position's likeliest token, 1 draws as the reference does. Default: \(InfillRequest.defaultTemperature).")
    var temperature: Double?

    @Option(help: "Which masked positions each step reveals: random (the reference) or confident (the model's surest first). Default: \(InfillRequest.defaultUnmasking.rawValue).")
    var unmasking: Unmasking?

    func validate() throws {
        if let temperature, !StepTemperature.range.contains(temperature) {
            throw CLIError("--temperature must be 0 to 2, got \(temperature)")
        }
    }

    var resolvedTemperature: Double { temperature ?? InfillRequest.defaultTemperature }
    var resolvedUnmasking: Unmasking { unmasking ?? InfillRequest.defaultUnmasking }
    /// The daemon's twin of `unmasking`.
    var unmaskingKind: UnmaskingKind? { unmasking.map { $0 == .confident ? .confident : .random } }
}
