import ArgumentParser
import Foundation
import SEDDTraining

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a model on text.", subcommands: [EvalELBO.self, EvalInfill.self])
}

/// `sedd eval elbo`: the diffusion ELBO (a likelihood bound) of a model on text.
struct EvalELBO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elbo",
        abstract: "Estimate the negative ELBO: nats per token, bits per byte and the perplexity bound.",
        discussion: """
            The text is packed as for training (documents joined by end-of-text, blocks of --length; the last \
            partial block is kept at its own length). Each block's loss (eval mode) is averaged over --samples \
            random times. The standard error is across the blocks x samples estimates.
            """)

    @Option(help: "A model directory (config.json, model.safetensors, tokenizer files).")
    var model: String

    @Option(parsing: .upToNextOption, help: "Files, directories (walked by extension) or JSONL corpora ({\"text\": ...} rows).")
    var data: [String]

    @Option(help: "Time samples per block (the paper used 1000).")
    var samples: Int = 32

    @Option(help: "Block length (default: the model's context, config model.length).")
    var length: Int?

    @Option(help: "Sequences per forward pass.")
    var batch: Int = 8

    @Option(help: "Seed of the time and mask draws.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        // Errors from the data or the model (TrainingError, ModelError) print as one line naming the path.
        let outcome = try ELBOEvaluation.run(
            model: URL(fileURLWithPath: model), data: data, samples: samples, length: length, seed: seed, batch: batch)
        for line in outcome.skipped { FileHandle.standardError.write(Data("skipped \(line)\n".utf8)) }
        let r = outcome.result
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
            return
        }
        print("documents        \(outcome.documents) (\(outcome.skipped.count) skipped)")
        print("blocks           \(r.blocks) x \(r.samplesPerBlock) time samples, \(r.tokens) tokens, \(r.bytes) bytes")
        print(String(format: "nats per token   %.4f ± %.4f (standard error)", r.natsPerToken, r.standardError))
        print(String(format: "bits per byte    %.4f", r.bitsPerByte))
        print(String(format: "perplexity <=    %.3f", r.perplexityBound))
    }
}
