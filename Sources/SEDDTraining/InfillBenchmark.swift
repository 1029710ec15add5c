import Foundation
import SEDDModel
import Tokenizers

/// The infill benchmark of data.md 2.2: every span filled twice, with the hole sized to the true
/// span and with the default hole (32 tokens) an editor asks for, scored by exact match, edit
/// similarity and the span's conditional ELBO in bits per byte.
///
/// Filling is the caller's (the engine lives in another room): `fill(case, holeTokens, sizedToSpan)`
/// returns the text the engine would insert; `sizedToSpan` says the hole is the true span's size
/// (the fill should take all of it), else it is the editor's default hole, padded. The ELBO is
/// computed here, on the sequence the engine lays out (language tag, prefix, hole, suffix), windowed
/// to the model's context the same way: the text nearest the hole is kept. With the default hole
/// the hole holds the span and then padding up to 32 tokens, and the padding's nats count; a span
/// longer than the hole gets no ELBO there.
/// Context tokenization is not healed for the ELBO (the engine heals for filling).
public final class InfillBenchmark {
    public let network: SEDDNetwork
    public let tokenizer: any Tokenizer
    public let extras: SEDDExtras
    public let evaluator: ConditionalELBOEvaluator
    public var defaultHoleTokens = 32
    public var elboSamples = 8
    public var seed: UInt64 = 0

    public typealias Fill = (_ benchmarkCase: InfillBenchmarkCase, _ holeTokens: Int, _ sizedToSpan: Bool) throws -> String

    public init(network: SEDDNetwork, tokenizer: any Tokenizer, batch: Int = 8) {
        self.network = network
        self.tokenizer = tokenizer
        extras = ModelTokenizer.completedExtras(network.config.extras, tokenizer: tokenizer)
        evaluator = ConditionalELBOEvaluator(network: network, batch: batch)
    }

    /// One fill of one span.
    public struct Attempt: Sendable, Codable, Equatable {
        /// The hole's size: for the true hole the span's own token count (the fill may lay it out
        /// larger, to hold what healing moves in from the context: `sedd eval infill`), else the default.
        public var holeTokens: Int
        public var fill: String
        public var exactMatch: Bool
        public var editSimilarity: Double
        /// Conditional ELBO of the hole's content in bits per span byte; nil when it cannot be laid
        /// out (span longer than the hole, padding needed and the model has none, or a hole as long as
        /// the model's context).
        public var bitsPerByte: Double?
    }

    public struct CaseResult: Sendable, Codable, Equatable {
        public var key: String
        public var language: String?
        public var kind: InfillBenchmarkCase.Kind
        public var insideWord: Bool
        public var spanBytes: Int
        public var spanTokens: Int
        /// The span's true text (what the fills are compared with).
        public var span: String
        public var trueHole: Attempt
        public var defaultHole: Attempt
    }

    public func evaluate(_ c: InfillBenchmarkCase, fill: Fill) throws -> CaseResult {
        let spanIDs = tokenizer.encode(c.span).map(Int32.init)
        let bytes = c.span.utf8.count
        func attempt(hole: Int, sizedToSpan: Bool) throws -> Attempt {
            let text = try fill(c, hole, sizedToSpan)
            var bits: Double?
            if spanIDs.count <= hole && (spanIDs.count == hole || extras.paddingID != nil) && hole < network.config.length {
                let pads = [Int32](repeating: Int32(extras.paddingID ?? 0), count: hole - spanIDs.count)
                bits = conditionalNats(c, hole: spanIDs + pads) / log(2) / Double(max(bytes, 1))
            }
            return Attempt(
                holeTokens: hole, fill: text, exactMatch: FillMetrics.exactMatch(text, c.span),
                editSimilarity: FillMetrics.editSimilarity(text, c.span), bitsPerByte: bits)
        }
        return CaseResult(
            key: c.key, language: c.language, kind: c.kind, insideWord: c.insideWord, spanBytes: bytes,
            spanTokens: spanIDs.count, span: c.span, trueHole: try attempt(hole: max(1, spanIDs.count), sizedToSpan: true),
            defaultHole: try attempt(hole: defaultHoleTokens, sizedToSpan: false))
    }

    /// Nats of `hole` (the span's tokens, maybe padded) between the case's context, the context clean.
    func conditionalNats(_ c: InfillBenchmarkCase, hole: [Int32]) -> Double {
        let (sequence, holeRange) = layout(c, hole: hole)
        let seed = self.seed ^ SHA256.prefix64("sedd-infill-elbo|" + c.key)
        return evaluator.nats(sequence: sequence, noised: Array(holeRange), samples: elboSamples, seed: seed)
    }

    /// [tag] prefix hole suffix, cut to the model's context keeping the text nearest the hole.
    func layout(_ c: InfillBenchmarkCase, hole: [Int32]) -> ([Int32], Range<Int>) {
        let tag = c.language.flatMap { extras.languageTags?[$0] }.map(Int32.init)
        var prefix = tokenizer.encode(c.prefix).map(Int32.init)
        var suffix = tokenizer.encode(c.suffix).map(Int32.init)
        let room = max(0, network.config.length - (tag == nil ? 0 : 1) - hole.count)
        if prefix.count + suffix.count > room {
            var keepPrefix = min(prefix.count, max(room / 2, room - suffix.count))
            let keepSuffix = min(suffix.count, room - keepPrefix)
            keepPrefix = min(prefix.count, room - keepSuffix)
            prefix = Array(prefix.suffix(keepPrefix))
            suffix = Array(suffix.prefix(keepSuffix))
        }
        let head = (tag.map { [$0] } ?? []) + prefix
        return (head + hole + suffix, head.count..<(head.count + hole.count))
    }

    /// One line of the summary: spans of one language, hole kind and cut kind.
    public struct Row: Sendable, Codable, Equatable {
        public var language: String
        /// "true" (hole sized to the span) or "default" (32 tokens, padded).
        public var hole: String
        /// "boundary", "insideWord" or "all".
        public var cut: String
        public var spans: Int
        public var exactMatch: Double
        public var editSimilarity: Double
        /// Total bits over total span bytes, of the spans that have an ELBO.
        public var bitsPerByte: Double?
        public var elboSpans: Int
    }

    /// Per language (and "all"), per hole kind, per cut kind (and "all").
    public static func summarize(_ results: [CaseResult]) -> [Row] {
        var rows: [Row] = []
        let languages = Set(results.map { $0.language ?? "" }).sorted() + ["all"]
        for language in languages {
            let ofLanguage = results.filter { language == "all" || ($0.language ?? "") == language }
            for hole in ["true", "default"] {
                for cut in ["boundary", "insideWord", "all"] {
                    let picked = ofLanguage.filter { cut == "all" || $0.insideWord == (cut == "insideWord") }
                    guard !picked.isEmpty else { continue }
                    let attempts = picked.map { (hole == "true" ? $0.trueHole : $0.defaultHole, $0.spanBytes) }
                    let scored = attempts.filter { $0.0.bitsPerByte != nil }
                    let bits = scored.reduce(0.0) { $0 + $1.0.bitsPerByte! * Double($1.1) }
                    let bytes = scored.reduce(0) { $0 + $1.1 }
                    rows.append(
                        Row(
                            language: language, hole: hole, cut: cut, spans: picked.count,
                            exactMatch: Double(attempts.filter { $0.0.exactMatch }.count) / Double(picked.count),
                            editSimilarity: attempts.reduce(0.0) { $0 + $1.0.editSimilarity } / Double(picked.count),
                            bitsPerByte: bytes > 0 ? bits / Double(bytes) : nil, elboSpans: scored.count))
                }
            }
        }
        return rows
    }
}
