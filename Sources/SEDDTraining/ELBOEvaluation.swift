import Foundation
import SEDDModel
import Tokenizers

/// `sedd eval elbo` as a library call: read the text, pack it as training does (documents joined by
/// end-of-text, blocks of `length`), keep the last partial block at its own length (a short file is
/// still evaluated), and estimate the bound with `ELBOEvaluator`.
///
/// Bits per byte divide the total nats by ln 2 and by the UTF-8 bytes of the documents' text; the
/// end-of-text separators are scored as tokens but contribute no bytes.
public enum ELBOEvaluation {
    public struct Outcome: Sendable {
        public var result: ELBOResult
        public var documents: Int
        public var skipped: [String]
    }

    public static func run(
        model: URL, data: [String], samples: Int, length: Int?, seed: UInt64, batch: Int = 8,
        reader: CorpusReader = CorpusReader()
    ) throws -> Outcome {
        if samples < 1 { throw TrainingError.invalidOption(name: "--samples", reason: "must be at least 1, got \(samples)") }
        if batch < 1 { throw TrainingError.invalidOption(name: "--batch", reason: "must be at least 1, got \(batch)") }
        let network = try ModelDirectory.load(model)
        let config = network.config
        let L = length ?? config.length
        if L < 2 { throw TrainingError.invalidOption(name: "--length", reason: "must be at least 2, got \(L)") }
        if L > config.length {
            throw TrainingError.invalidOption(
                name: "--length", reason: "\(L) is longer than the model's context (config model.length = \(config.length))")
        }
        let tokenizer = try ModelTokenizer.load(directory: model, config: config)
        let eot = try ModelTokenizer.endOfText(tokenizer, config: config, directory: model)
        let read = try reader.read(data)
        let corpus = TokenizedCorpus(documents: read.documents, tokenizer: tokenizer, endOfText: eot, validationFraction: 0)
        let stream = corpus.trainTokens
        var blocks = TokenizedCorpus.blocks(stream, length: L).map { Array($0) }
        let tail = stream.count % L
        if tail >= 2 { blocks.append(Array(stream.suffix(tail))) }
        guard !blocks.isEmpty else { throw TrainingError.corpusTooSmall(tokens: stream.count, length: 2) }
        let bytes = read.documents.reduce(0) { $0 + $1.text.utf8.count }
        let result = ELBOEvaluator(network: network, batch: batch).evaluate(blocks: blocks, bytes: bytes, samples: samples, seed: seed)
        return Outcome(result: result, documents: read.documents.count, skipped: read.skipped)
    }
}
