/// How close a fill is to the true span (data.md 2.2).
public enum FillMetrics {
    /// Equal after trimming trailing whitespace from both.
    public static func exactMatch(_ fill: String, _ truth: String) -> Bool {
        trimTrailing(fill) == trimTrailing(truth)
    }

    /// 1 - Levenshtein distance / the longer length, over Unicode scalars of the trailing-trimmed
    /// texts (1 when both are empty).
    public static func editSimilarity(_ fill: String, _ truth: String) -> Double {
        let a = Array(trimTrailing(fill).unicodeScalars), b = Array(trimTrailing(truth).unicodeScalars)
        let longest = max(a.count, b.count)
        guard longest > 0 else { return 1 }
        return 1 - Double(levenshtein(a, b)) / Double(longest)
    }

    static func trimTrailing(_ s: String) -> Substring {
        var end = s.endIndex
        while end > s.startIndex, s[s.index(before: end)].isWhitespace { end = s.index(before: end) }
        return s[..<end]
    }

    static func levenshtein(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
