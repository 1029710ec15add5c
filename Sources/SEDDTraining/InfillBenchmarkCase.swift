import SEDDKernels

/// One span of the infill benchmark (docs: data.md 2.2): a piece of a file to be filled back in,
/// with the text around it as an editor would send it.
///
/// Spans are chosen from `sha256("sedd-infill-v1|" + key)` alone, so any model and tokenizer is
/// measured on the same characters: a line with at least 8 non-blank characters, then one of three
/// kinds. Spans and context are defined in characters and lines, never in tokens.
public struct InfillBenchmarkCase: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The rest of a line after a cut point inside its content (40 %): cuts may fall inside a word.
        case restOfLine
        /// One whole line from its first non-blank character (30 %); the indentation stays in the prefix.
        case wholeLine
        /// 2 to 6 whole lines, from the first one's first non-blank character (30 %).
        case lines
    }

    public var key: String
    public var language: String?
    public var kind: Kind
    /// Up to 1,500 characters before the span, starting at a line start.
    public var prefix: String
    /// The text to fill back in (at most 256 characters, no trailing newline).
    public var span: String
    /// Up to 500 characters after the span, ending at a line end.
    public var suffix: String
    /// True when an edge of the span cuts a word (`let fo|o`): a letter or digit on both sides.
    public var insideWord: Bool

    public init(
        key: String, language: String?, kind: Kind, prefix: String, span: String, suffix: String, insideWord: Bool
    ) {
        self.key = key
        self.language = language
        self.kind = kind
        self.prefix = prefix
        self.span = span
        self.suffix = suffix
        self.insideWord = insideWord
    }

    public static let maximumSpanCharacters = 256
    public static let prefixCharacters = 1500
    public static let suffixCharacters = 500

    /// The benchmark case of a document, or nil when it has no line with 8 non-blank characters.
    public static func make(key: String, language: String?, text: String) -> InfillBenchmarkCase? {
        var rng = SeededRandom(seed: SHA256.prefix64("sedd-infill-v1|" + key))
        let chars = Array(text)
        // Line content ranges [start, end) in characters, end before the newline.
        var lines: [Range<Int>] = []
        var start = 0
        for (i, c) in chars.enumerated() where c == "\n" {
            lines.append(start..<i)
            start = i + 1
        }
        if start < chars.count { lines.append(start..<chars.count) }
        func firstNonBlank(_ r: Range<Int>) -> Int { r.first { !chars[$0].isWhitespace } ?? r.upperBound }
        func lastNonBlankEnd(_ r: Range<Int>) -> Int { (r.last { !chars[$0].isWhitespace } ?? (r.lowerBound - 1)) + 1 }
        let candidates = lines.indices.filter { i in lines[i].filter { !chars[$0].isWhitespace }.count >= 8 }
        guard !candidates.isEmpty else { return nil }
        let line = candidates[Int(rng.next() % UInt64(candidates.count))]
        let kindDraw = rng.next() % 100
        let kind: Kind = kindDraw < 40 ? .restOfLine : kindDraw < 70 ? .wholeLine : .lines
        var spanStart = firstNonBlank(lines[line])
        var spanEnd = lastNonBlankEnd(lines[line])
        switch kind {
        case .restOfLine:
            spanStart += Int(rng.next() % UInt64(spanEnd - spanStart))
        case .wholeLine:
            break
        case .lines:
            let count = 2 + Int(rng.next() % 5)
            let last = min(lines.count - 1, line + count - 1)
            spanEnd = max(spanEnd, lastNonBlankEnd(spanStart..<lines[last].upperBound))
        }
        if spanEnd - spanStart > maximumSpanCharacters {
            // Cut at the last line end within the cap when there is one, else at the cap.
            let capped = spanStart + maximumSpanCharacters
            let newline = (spanStart..<capped).last { chars[$0] == "\n" }
            spanEnd = newline.map { lastNonBlankEnd(spanStart..<$0) } ?? capped
            if spanEnd <= spanStart { spanEnd = capped }
        }
        var prefixStart = max(0, spanStart - prefixCharacters)
        if prefixStart > 0, let newline = (prefixStart..<spanStart).first(where: { chars[$0] == "\n" }) { prefixStart = newline + 1 }
        var suffixEnd = min(chars.count, spanEnd + suffixCharacters)
        if suffixEnd < chars.count, let newline = (spanEnd..<suffixEnd).last(where: { chars[$0] == "\n" }) { suffixEnd = newline + 1 }
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        let cutsStart = spanStart > 0 && isWord(chars[spanStart - 1]) && isWord(chars[spanStart])
        let cutsEnd = spanEnd < chars.count && isWord(chars[spanEnd]) && isWord(chars[spanEnd - 1])
        return InfillBenchmarkCase(
            key: key, language: language, kind: kind, prefix: String(chars[prefixStart..<spanStart]),
            span: String(chars[spanStart..<spanEnd]), suffix: String(chars[spanEnd..<suffixEnd]),
            insideWord: cutsStart || cutsEnd)
    }

    /// Up to `perLanguage` cases per language (nil language counts as its own), one per document,
    /// taking documents in the order of their keys' hashes, so the set does not depend on file order.
    public static func select(_ documents: [CorpusReader.Document], perLanguage: Int) -> [InfillBenchmarkCase] {
        let keyed = documents.map { ($0.key ?? $0.source, $0) }
        let ordered = keyed.map { (SHA256.prefix64("sedd-infill-order|" + $0.0), $0.0, $0.1) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var taken: [String: Int] = [:]
        var cases: [InfillBenchmarkCase] = []
        for (_, key, doc) in ordered {
            let language = doc.language ?? ""
            guard taken[language, default: 0] < perLanguage else { continue }
            guard let c = make(key: key, language: doc.language, text: doc.text) else { continue }
            taken[language, default: 0] += 1
            cases.append(c)
        }
        return cases
    }
}
