import ArgumentParser
import Foundation
import SEDDModel
import SEDDTraining
import Tokenizers

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Write a randomly initialised model directory (the reference's initialisation).")

    @Option(help: "A config.json in the reference's nested layout (see configs/).")
    var config: String

    @Option(help: "Output model directory (created).")
    var out: String

    @Option(help: "A tokenizer directory (encoder.json + vocab.bpe, or vocab.json + merges.txt), or 'bytes'.")
    var tokenizer: String = "bytes"

    @Option(help: "Seed of the initialisation.")
    var seed: UInt64 = 0

    func run() throws {
        var cfg = try SEDDConfig.load(from: URL(fileURLWithPath: config))
        let tok: any Tokenizer
        if tokenizer == "bytes" {
            tok = try ByteTokenizer(specialTokens: ["<|endoftext|>"])
            cfg.extras.tokenizer = "bytes"
        } else {
            tok = try GPT2Tokenizer(directory: URL(fileURLWithPath: tokenizer))
            cfg.extras.tokenizer = "gpt2"
        }
        cfg.extras = ModelTokenizer.completedExtras(cfg.extras, tokenizer: tok)
        guard tok.vocabularySize <= cfg.tokens else {
            throw CLIError("\(config): tokens is \(cfg.tokens) but the tokenizer has \(tok.vocabularySize) ids; set \"tokens\": \(tok.vocabularySize)")
        }
        let store = ParameterStore(table: ParameterTable(config: cfg))
        Initialization.initialize(store, config: cfg, seed: seed)
        let network = SEDDNetwork(config: cfg, parameters: store)
        let dir = URL(fileURLWithPath: out)
        try ModelDirectory.save(network, to: dir)
        try tok.save(to: dir)
        print("wrote \(out): \(cfg.name), \(store.table.parameterCount) parameters, vocabulary \(cfg.vocabularySize)")
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print a model's config, every tensor with shape and dtype, and the parameter count.")

    @Option(help: "A model directory.")
    var model: String

    func run() throws {
        let dir = URL(fileURLWithPath: model)
        let cfg = try SEDDConfig.load(from: dir.appendingPathComponent(ModelDirectory.configFile))
        print(String(decoding: cfg.jsonData(), as: UTF8.self))
        let weights = try ModelDirectory.weightsURL(in: dir)
        let archive = try openTensorArchiveReporting(weights)
        print("\nweights: \(weights.lastPathComponent)")
        var total = 0
        for name in archive.tensorNames {
            let info = try archive.info(name)
            print("  \(name)  \(info.shape)  \(info.dtype.rawValue)")
            if name != ParameterTable.rotaryBufferName { total += info.elementCount }
        }
        _ = try ModelDirectory.load(dir)  // strict check: every tensor of the config present, right shapes
        print("\nparameters: \(total) (\(String(format: "%.1f", Double(total) / 1e6))M), all \(ParameterTable(config: cfg).entries.count) expected tensors present")
    }
}
