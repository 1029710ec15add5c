import ArgumentParser
import Foundation
import SEDDModel
import SEDDTraining

struct ParityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity",
        abstract: "Check the engine against a directory of reference fixtures; exit 1 if any check fails.")

    @Argument(help: "A directory in the reference fixture format (<graph>.config.json, <graph>.forward.safetensors, ...).")
    var directory: String

    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        let url = URL(fileURLWithPath: directory)
        let runner = ParityRunner(directory: url)
        guard !runner.graphs.isEmpty || runner.exists("noise.safetensors") else {
            throw CLIError("\(directory): no fixtures found (expected absorb.config.json + absorb.weights.safetensors, uniform.*, or noise.safetensors)")
        }
        var checks = try runner.run()
        checks += try GradientParity.run(runner)
        for c in checks { print(c.line) }
        let failed = checks.filter { !$0.passed }.count
        print("parity: \(checks.count - failed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
