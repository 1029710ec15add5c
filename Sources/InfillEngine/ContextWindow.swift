import Tokenizers

/// Lays text and holes out in the model's window: prefix tokens, mask runs, the text between holes,
/// suffix tokens. When everything does not fit, the text nearest the holes is kept.
///
/// Only the text near the holes is tokenized: the outer segments are first cut to `maxBytes` on
/// their far side (at a line start when one is near), so a request's cost does not grow with the file.
struct ContextWindow {
    var tokens: [Int]          // the window, holes filled with the mask id
    var holeRanges: [Range<Int>]
    var prefixTokens: Int
    var suffixTokens: Int
    var prefixTruncated: Bool
    var suffixTruncated: Bool

    static func layout(
        segments: [String], holeTokens: [Int], tokenizer: any Tokenizer, maskID: Int, context: Int, maxBytes: Int
    ) throws -> ContextWindow {
        precondition(segments.count == holeTokens.count + 1, "n+1 segments around n holes")
        let inner = segments.dropFirst().dropLast().map { tokenizer.encode($0) }
        let innerCount = inner.reduce(0) { $0 + $1.count } + holeTokens.reduce(0, +)
        if innerCount > context { throw InfillEngineError.holeTooLarge(tokens: innerCount, context: context) }

        let (prefixText, prefixCut) = tail(of: segments[0], maxBytes: maxBytes)
        let (suffixText, suffixCut) = head(of: segments[segments.count - 1], maxBytes: maxBytes)
        var prefix = tokenizer.encode(prefixText)
        var suffix = tokenizer.encode(suffixText)
        var prefixTruncated = prefixCut, suffixTruncated = suffixCut

        // Share what is left between the two sides; a side that needs less gives the rest away.
        let room = context - innerCount
        if prefix.count + suffix.count > room {
            var keepPrefix = min(prefix.count, max(room / 2, room - suffix.count))
            var keepSuffix = min(suffix.count, room - keepPrefix)
            keepPrefix = min(prefix.count, room - keepSuffix)
            keepSuffix = min(suffix.count, room - keepPrefix)
            if keepPrefix < prefix.count { prefix = Array(prefix.suffix(keepPrefix)); prefixTruncated = true }
            if keepSuffix < suffix.count { suffix = Array(suffix.prefix(keepSuffix)); suffixTruncated = true }
        }

        var tokens = prefix
        var ranges: [Range<Int>] = []
        for (i, n) in holeTokens.enumerated() {
            ranges.append(tokens.count..<(tokens.count + n))
            tokens += [Int](repeating: maskID, count: n)
            if i < inner.count { tokens += inner[i] }
        }
        tokens += suffix
        return ContextWindow(
            tokens: tokens, holeRanges: ranges, prefixTokens: prefix.count, suffixTokens: suffix.count,
            prefixTruncated: prefixTruncated, suffixTruncated: suffixTruncated)
    }

    /// The last `maxBytes` bytes of `text`, starting at a line start when one is in the last half.
    static func tail(of text: String, maxBytes: Int) -> (String, Bool) {
        let utf8 = text.utf8
        guard utf8.count > maxBytes else { return (text, false) }
        var start = utf8.index(utf8.endIndex, offsetBy: -maxBytes)
        while start < utf8.endIndex && UTF8.isContinuation(utf8[start]) { start = utf8.index(after: start) }
        let window = text[start...]
        if let newline = window.utf8.firstIndex(of: UInt8(ascii: "\n")),
            window.utf8.distance(from: window.utf8.startIndex, to: newline) < maxBytes / 2
        {
            return (String(window[window.utf8.index(after: newline)...]), true)
        }
        return (String(window), true)
    }

    /// The first `maxBytes` bytes of `text`, ending after a newline when one is in the last half.
    static func head(of text: String, maxBytes: Int) -> (String, Bool) {
        let utf8 = text.utf8
        guard utf8.count > maxBytes else { return (text, false) }
        var end = utf8.index(utf8.startIndex, offsetBy: maxBytes)
        while end > utf8.startIndex && UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
        let window = text[..<end]
        if let newline = window.utf8.lastIndex(of: UInt8(ascii: "\n")),
            window.utf8.distance(from: newline, to: window.utf8.endIndex) < maxBytes / 2
        {
            return (String(window[...newline]), true)
        }
        return (String(window), true)
    }
}
