import Foundation
import Tokenizers

/// Documents tokenized, joined with an end-of-text id (after each document, as the reference's
/// data pipeline does) and cut into blocks of `length`, with a validation split held out.
///
/// The split is decided per document from a hash of its text (FNV-1a 64), so it does not depend on
/// the order of files or on which other documents are present.
public struct TokenizedCorpus: Sendable {
    /// Token streams: every document followed by the end-of-text id.
    public var trainTokens: [Int32]
    public var validationTokens: [Int32]
    public var trainDocuments: Int
    public var validationDocuments: Int
    public let endOfText: Int
    /// Set when the streams are language-packed blocks (`BlockPacking`): then both streams are whole
    /// blocks laid end to end, and these are the training blocks' figures.
    public var packedTrain: (blocks: Int, infillBlocks: Int, blocksByLanguage: [String: Int])?
    /// The holes of the infill-shaped training blocks, by block index (`BlockPacking.Packed.holes`).
    public var trainHoles: [Int: Range<Int>] = [:]

    /// - Parameter validationFraction: share of documents held out, in [0, 1).
    public init(
        documents: [CorpusReader.Document], tokenizer: any Tokenizer, endOfText: Int, validationFraction: Double
    ) {
        self.endOfText = endOfText
        let encoded = Self.encodeAll(documents.map(\.text), tokenizer)
        var train: [Int32] = [], valid: [Int32] = []
        var nt = 0, nv = 0
        for (doc, ids) in zip(documents, encoded) {
            if Self.isValidation(doc.text, fraction: validationFraction) {
                valid += ids
                valid.append(Int32(endOfText))
                nv += 1
            } else {
                train += ids
                train.append(Int32(endOfText))
                nt += 1
            }
        }
        trainTokens = train
        validationTokens = valid
        trainDocuments = nt
        validationDocuments = nv
    }

    /// Documents tokenized and packed into blocks by `packing`: one language per block, its tag first,
    /// a share of training blocks infill-shaped (validation blocks are all plain).
    public init(
        documents: [CorpusReader.Document], tokenizer: any Tokenizer, endOfText: Int, validationFraction: Double,
        packing: BlockPacking
    ) {
        self.endOfText = endOfText
        let encoded = Self.encodeAll(documents.map(\.text), tokenizer)
        var train: [[Int32]] = [], valid: [[Int32]] = []
        var trainLanguages: [String?] = [], validLanguages: [String?] = []
        for (doc, ids) in zip(documents, encoded) {
            if Self.isValidation(doc.text, fraction: validationFraction) {
                valid.append(ids + [Int32(endOfText)])
                validLanguages.append(doc.language)
            } else {
                train.append(ids + [Int32(endOfText)])
                trainLanguages.append(doc.language)
            }
        }
        let packedTrain = packing.pack(documents: train, languages: trainLanguages)
        trainTokens = packedTrain.tokens
        validationTokens = packing.pack(documents: valid, languages: validLanguages, infill: false).tokens
        trainDocuments = train.count
        validationDocuments = valid.count
        self.packedTrain = (packedTrain.blocks, packedTrain.infillBlocks, packedTrain.blocksByLanguage)
        trainHoles = packedTrain.holes
    }

    /// True when the document belongs to the validation split.
    public static func isValidation(_ text: String, fraction: Double) -> Bool {
        guard fraction > 0 else { return false }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return Double(h % 1_000_000) < fraction * 1_000_000
    }

    /// Tokenizes in parallel (the tokenizers are thread-safe), keeping document order.
    public static func encodeAll(_ texts: [String], _ tokenizer: any Tokenizer) -> [[Int32]] {
        var out = [[Int32]](repeating: [], count: texts.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: max(1, min(texts.count, 64))) { chunk in
            let n = texts.count
            let start = n * chunk / max(1, min(n, 64)), end = n * (chunk + 1) / max(1, min(n, 64))
            for i in start..<end {
                let ids = tokenizer.encode(texts[i]).map { Int32($0) }
                lock.lock()
                out[i] = ids
                lock.unlock()
            }
        }
        return out
    }

    /// Whole blocks of `length` tokens from a stream (the remainder is dropped, as in the reference).
    public static func blocks(_ tokens: [Int32], length: Int) -> [ArraySlice<Int32>] {
        guard length > 0 else { return [] }
        return stride(from: 0, to: tokens.count - length + 1, by: length).map { tokens[$0..<($0 + length)] }
    }
}
