import InfillProtocol

/// A text with holes at byte ranges, and everything derived from it: the segments handed to the engine
/// (outer ones cut to a byte budget) and the filled text returned to the client.
///
/// Holes are sorted by position; `requestOrder[i]` is the index in the client's `ranges` of the i-th
/// hole, so fills can be returned in the order the client asked.
struct HoleLayout {
    let bytes: [UInt8]
    /// Sorted, non-overlapping byte ranges; boundaries on scalar boundaries.
    let holes: [Swift.Range<Int>]
    let requestOrder: [Int]

    /// The segments around the holes, the outer two cut to `maxContextBytes`.
    struct Segments {
        var texts: [String]
        var prefixCut: Bool
        var suffixCut: Bool
    }

    /// A single hole between `prefix` and `suffix`.
    init(prefix: String, suffix: String) {
        let prefixBytes = Array(prefix.utf8)
        bytes = prefixBytes + Array(suffix.utf8)
        holes = [prefixBytes.count..<prefixBytes.count]
        requestOrder = [0]
    }

    /// Holes at byte ranges given in the client's order; throws when two overlap.
    init(bytes: [UInt8], holesInRequestOrder: [Swift.Range<Int>]) throws(InfillServerError) {
        precondition(!holesInRequestOrder.isEmpty, "a layout needs at least one hole")
        let order = holesInRequestOrder.indices.sorted {
            (holesInRequestOrder[$0].lowerBound, holesInRequestOrder[$0].upperBound)
                < (holesInRequestOrder[$1].lowerBound, holesInRequestOrder[$1].upperBound)
        }
        for (previous, next) in zip(order, order.dropFirst())
        where holesInRequestOrder[next].lowerBound < holesInRequestOrder[previous].upperBound {
            throw .invalidParams(
                field: "ranges[\(max(previous, next))]", expected: "ranges that do not overlap",
                got: "a range overlapping ranges[\(min(previous, next))]")
        }
        self.bytes = bytes
        holes = order.map { holesInRequestOrder[$0] }
        requestOrder = order
    }

    func segments(maxContextBytes: Int) -> Segments {
        var texts: [String] = []
        var start = 0
        for hole in holes {
            texts.append(text(start..<hole.lowerBound))
            start = hole.upperBound
        }
        texts.append(text(start..<bytes.count))
        let prefixEnd = holes[0].lowerBound
        let prefixStart = HoleLayout.prefixCut(bytes, end: prefixEnd, budget: maxContextBytes)
        let suffixStart = holes[holes.count - 1].upperBound
        let suffixEnd = HoleLayout.suffixCut(bytes, start: suffixStart, budget: maxContextBytes)
        texts[0] = text(prefixStart..<prefixEnd)
        texts[texts.count - 1] = text(suffixStart..<suffixEnd)
        return Segments(texts: texts, prefixCut: prefixStart > 0, suffixCut: suffixEnd < bytes.count)
    }

    /// The whole text with hole i (in sorted order) replaced by `fills[i]`; bytes outside the holes are
    /// copied unchanged.
    func filledText(sortedFills fills: [String]) -> String {
        precondition(fills.count == holes.count, "one fill per hole")
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + fills.reduce(0) { $0 + $1.utf8.count })
        var start = 0
        for (hole, fill) in zip(holes, fills) {
            output.append(contentsOf: bytes[start..<hole.lowerBound])
            output.append(contentsOf: fill.utf8)
            start = hole.upperBound
        }
        output.append(contentsOf: bytes[start...])
        return String(decoding: output, as: UTF8.self)
    }

    /// Puts fills given in sorted-hole order back into the client's order.
    func inRequestOrder<T>(_ sorted: [T]) -> [T] {
        var result = sorted
        for (sortedIndex, requestIndex) in requestOrder.enumerated() { result[requestIndex] = sorted[sortedIndex] }
        return result
    }

    private func text(_ range: Swift.Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// Start of the kept prefix: at most `budget` bytes before `end`, moved forward to a line start when
    /// that keeps at least half the budget, and always to a scalar boundary.
    static func prefixCut(_ bytes: [UInt8], end: Int, budget: Int) -> Int {
        guard end > budget else { return 0 }
        var start = end - budget
        if let newline = bytes[start..<end].firstIndex(of: 0x0A), newline + 1 - start <= budget / 2 {
            return newline + 1
        }
        while start < end, UTF8Validation.isContinuation(bytes[start]) { start += 1 }
        return start
    }

    /// End of the kept suffix: at most `budget` bytes after `start`, moved back to just after a line end
    /// when that keeps at least half the budget, and always to a scalar boundary.
    static func suffixCut(_ bytes: [UInt8], start: Int, budget: Int) -> Int {
        guard bytes.count - start > budget else { return bytes.count }
        var end = start + budget
        if let newline = bytes[start..<end].lastIndex(of: 0x0A), end - (newline + 1) <= budget / 2 {
            return newline + 1
        }
        while end > start, UTF8Validation.isContinuation(bytes[end]) { end -= 1 }
        return end
    }
}
