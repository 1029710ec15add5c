import ArgumentParser
import Foundation
import SEDDKernels
import SEDDModel

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
            TrainCommand.self, EvalCommand.self, CorpusCommand.self, ConvertCommand.self, GrowCommand.self,

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
    @Option(help: "Threads for the engine and the GEMM libraries, OpenBLAS and oneDNN (default: every core).")
    var threads: Int?

    @Option(help: "Matrix products in bf16 (oneDNN, fp32 accumulation) or fp32 (the reference path). Default: bf16 where the processor multiplies bf16 (AMX or AVX512_BF16), fp32 elsewhere.")
    var precision: Precision?

    func apply() throws {
        let chosen = precision ?? .preferred
        if chosen == .bf16 && !OneDNN.isAvailable {
            throw CLIError("--precision bf16 needs oneDNN (libdnnl), which could not create a CPU engine; use --precision fp32")
        }
        Precision.processDefault = chosen
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

extension Precision: ExpressibleByArgument {}
extension Unmasking: ExpressibleByArgument {}
