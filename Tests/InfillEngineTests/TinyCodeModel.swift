import Foundation
import SEDDKernels
import SEDDModel
import TestSupport
import Tokenizers

/// A tiny code model made in the test: a BPE learned from a few lines of Swift and Python (with the
/// code vocabulary's special tokens) and a randomly initialised network sized to it.
enum TinyCodeModel {
    static let languages = ["swift", "python"]

    static func tokenizer() throws -> GPT2Tokenizer {
        var lines: [String] = []
        for i in 0..<200 {
            lines.append("let foo\(i % 17) = bar(\(i))\n    return foo + value\n")
            lines.append("def foo_\(i % 13)(x):\n    return x + \(i % 7)\n")
        }
        let trainer = try BPETrainer(vocabularySize: 420, specialTokens: CodeLanguages.specialTokens(languages: languages))
        return try trainer.train(texts: lines)
    }

    /// - Parameter randomHead: give the output layer random weights (the reference initialises it to
    ///   zero, which makes every token equally likely).
    static func engineParts(tokenizer: GPT2Tokenizer, extras: SEDDExtras? = nil, randomHead: Bool = true, seed: UInt64 = 1)
        -> SEDDNetwork
    {
        let config = SEDDConfig(
            tokens: tokenizer.vocabularySize, graph: .absorb, noise: .loglinear, name: "tiny-code", hiddenSize: 32,
            condDim: 16, heads: 4, blocks: 1, length: 64, dropout: 0, extras: extras ?? SEDDExtras(tokenizer: "gpt2"))
        let store = ParameterStore(table: ParameterTable(config: config))
        Initialization.initialize(store, config: config, seed: seed)
        if randomHead {
            var rng = SeededRandom(seed: seed &+ 99)
            for name in ["output_layer.linear.weight", "output_layer.linear.bias"] {
                let p = store.pointer(name)
                for i in 0..<store.table.entry(name)!.count { p[i] = (2 * rng.nextFloat() - 1) * 0.5 }
            }
        }
        return SEDDNetwork(config: config, parameters: store)
    }

    static func temporaryDirectory() -> URL { ScratchDirectory.make("sedd-infill-tests") }
}
