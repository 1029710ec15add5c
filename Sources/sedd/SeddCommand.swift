import ArgumentParser
import Foundation
import SEDDKernels

/// The `sedd` command line: the composition root that wires the rooms together.
@main
struct Sedd: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "sedd",
        abstract: "Score Entropy Discrete Diffusion: an engine, a trainer and an infill daemon for editors.",
        version: version,
        subcommands: [
            ParityCommand.self, InitCommand.self, InspectCommand.self, TokenizerCommand.self, SampleCommand.self,
            InfillCommand.self, ServeCommand.self, BenchCommand.self,
            TrainCommand.self, EvalCommand.self, CorpusCommand.self, ConvertCommand.self,

        ])

    static func main() {
        CoreTypeLauncher.ensureTunedGEMM()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every model-running command shares.
struct EngineOptions: ParsableArguments {
    @Option(help: "Threads for the engine and the GEMM library (default: every core).")
    var threads: Int?

    func apply() throws {
        if let threads {
            guard (1...256).contains(threads) else {
                throw CLIError("--threads must be between 1 and 256, got \(threads)")
            }
            Parallel.setThreadCount(threads)
        } else {
            Parallel.setThreadCount(Parallel.threadCount)
        }
    }
}
