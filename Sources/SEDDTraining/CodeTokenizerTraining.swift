import Foundation
import Tokenizers

/// `sedd tokenizer train` as library calls: choose the training text, learn a byte-level BPE with the
/// code model's special tokens, and measure it (bytes per token, per language).
public enum CodeTokenizerTraining {
    /// Documents for BPE training: all of them when they fit in `maxBytes`, else a deterministic
    /// sample (ordered by a hash of each document's key or text, taken until the budget is spent), so
    /// every language keeps roughly its share of the corpus.
    public static func sample(_ documents: [CorpusReader.Document], maxBytes: Int) -> [CorpusReader.Document] {
        let total = documents.reduce(0) { $0 + $1.text.utf8.count }
        guard total > maxBytes else { return documents }
        let order = documents.indices.sorted {
            let a = BlockPacking.hash(documents[$0].key ?? documents[$0].text)
            let b = BlockPacking.hash(documents[$1].key ?? documents[$1].text)
            return a != b ? a < b : $0 < $1
        }
        var picked: [Int] = []
        var bytes = 0
        for index in order {
            let n = documents[index].text.utf8.count
            if bytes + n > maxBytes { continue }
            picked.append(index)
            bytes += n
        }
        return picked.sorted().map { documents[$0] }
    }

    /// Learns a vocabulary of `vocabularySize` ids: 256 bytes, merges, then `<|endoftext|>`, `<|pad|>`
    /// and one `<|lang:NAME|>` tag per language (ordinary ids; the model's mask comes after them).
    public static func train(
        documents: [CorpusReader.Document], vocabularySize: Int, languages: [String] = CodeLanguages.corpus
    ) throws(TokenizerError) -> GPT2Tokenizer {
        let trainer = try BPETrainer(vocabularySize: vocabularySize, specialTokens: CodeLanguages.specialTokens(languages: languages))
        return try trainer.train(texts: documents.lazy.map(\.text))
    }

    /// Bytes and tokens of some text in one language.
    public struct Cost: Sendable, Equatable, Codable {
        public var documents: Int
        public var bytes: Int
        public var tokens: Int
        public var bytesPerToken: Double { tokens > 0 ? Double(bytes) / Double(tokens) : 0 }
    }

    /// UTF-8 bytes per token of `documents` (encoded as ordinary text), by language ("" for none)
    /// and over all ("*").
    public static func measure(_ tokenizer: any Tokenizer, documents: [CorpusReader.Document]) -> [String: Cost] {
        let encoded = TokenizedCorpus.encodeAll(documents.map(\.text), tokenizer)
        var costs: [String: Cost] = [:]
        for (doc, ids) in zip(documents, encoded) {
            for key in [doc.language ?? "", "*"] {
                costs[key, default: Cost(documents: 0, bytes: 0, tokens: 0)].documents += 1
                costs[key]!.bytes += doc.text.utf8.count
                costs[key]!.tokens += ids.count
            }
        }
        return costs
    }
}
