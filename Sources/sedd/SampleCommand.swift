import ArgumentParser
import Foundation
import InfillEngine
import SEDDModel
import Tokenizers

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "Generate text unconditionally.")

    @Option(help: "A model directory (default: the embedded default model).") var model: String?
    @Option(help: "Denoising steps (1 to 1024).") var steps: Int = 128
    @Option(help: "Tokens to generate (default: the model's context length).") var length: Int?
    @Option(help: "analytic or euler.") var sampler: String = "analytic"
    @Option(help: "Seed (same seed, same sample).") var seed: UInt64 = 0
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        guard let predictor = Predictor(rawValue: sampler) else {
            throw CLIError("--sampler must be analytic or euler, got '\(sampler)'")
        }
        guard (1...1024).contains(steps) else { throw CLIError("--steps must be 1 to 1024, got \(steps)") }
        let e = try InfillEngine.load(modelDirectory: DefaultModel.resolve(model))
        let L = length ?? e.contextLength
        guard (1...e.contextLength).contains(L) else {
            throw CLIError("--length must be 1 to the model's context \(e.contextLength), got \(L)")
        }
        // Unconditional sampling is an infill with one hole spanning the whole window.
        let result = try e.infill(InfillRequest(segments: ["", ""], holeTokens: [L], steps: steps, predictor: predictor, seed: seed))
        print(result.candidates[0].fills[0])
    }
}
