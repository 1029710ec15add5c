import Foundation
import SEDDKernels
import SEDDModel
import SEDDTraining
import TestSupport

/// Tiny byte-tokenizer models and corpora in temporary directories, for training tests.
enum TinyModel {
    static func config(graph: GraphKind = .absorb, hidden: Int = 64, blocks: Int = 2, length: Int = 64, dropout: Double = 0.1) -> SEDDConfig {
        SEDDConfig(
            tokens: 257, graph: graph, noise: graph == .absorb ? .loglinear : .geometric, name: "tiny",
            hiddenSize: hidden, condDim: 32, heads: 4, blocks: blocks, length: length, dropout: dropout,
            extras: SEDDExtras(tokenizer: "bytes", endOfTextID: 256))
    }

    /// A model directory with the reference initialisation.
    static func directory(_ config: SEDDConfig, seed: UInt64 = 1) throws -> URL {
        let store = ParameterStore(table: ParameterTable(config: config))
        Initialization.initialize(store, config: config, seed: seed)
        let url = temporaryDirectory("model")
        try ModelDirectory.save(SEDDNetwork(config: config, parameters: store), to: url)
        return url
    }

    /// The model and corpus of the short checkpoint/resume runs: hidden 32, blocks of 32 bytes, 3 files.
    static func smallRun() throws -> (model: URL, data: URL) {
        (try directory(config(hidden: 32, length: 32)), try corpus(files: 3))
    }

    /// A short run on blocks of 32 tokens, at a learning rate high enough for tiny models to move.
    static func options(steps: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.steps = steps
        o.batch = 4
        o.length = 32
        o.learningRate = 3e-3
        o.warmup = 5
        o.seed = 7
        o.validationFraction = 0
        return o
    }

    static func temporaryDirectory(_ label: String) -> URL { ScratchDirectory.make("sedd-train-tests-\(label)") }

    /// A small, very repetitive corpus: a few files of the same sentences.
    static func corpus(files: Int = 6) throws -> URL {
        let dir = temporaryDirectory("corpus")
        let sentences = [
            "the cat sat on the mat. ", "the dog sat on the log. ", "a cat and a dog sat on a mat and a log. ",
        ]
        for i in 0..<files {
            let text = (0..<40).map { sentences[($0 + i) % sentences.count] }.joined()
            try text.write(to: dir.appendingPathComponent("doc\(i).txt"), atomically: true, encoding: .utf8)
        }
        return dir
    }
}
