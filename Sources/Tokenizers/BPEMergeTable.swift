/// The merge list as a hash from a pair of token ids to the pair's rank and the id of the merged token,
/// and the BPE loop that applies it.
///
/// Open addressing with linear probing over flat arrays: merge lookups are the inner loop of encoding,
/// and a `Dictionary` with SipHash costs several times more per probe.
final class BPEMergeTable: Sendable {
    /// One merge: `left` followed by `right` becomes `merged`; earlier entries have lower rank.
    struct Merge: Sendable, Equatable {
        var left: Int32
        var right: Int32
        var merged: Int32
    }

    /// The merges in rank order, as given (kept for saving).
    let merges: [Merge]
    /// `keys[slot]` is `left << 32 | right`, or `emptyKey`.
    private let keys: [UInt64]
    /// `values[slot]` is `rank << 32 | merged`.
    private let values: [UInt64]
    private let shift: UInt64
    private static let emptyKey = UInt64.max
    /// Whether every merge that uses a token ranks after every merge that makes it (true of any trained
    /// merge list, GPT-2's included). Only then may long words take the heap path, which is then exactly
    /// equal to the reference loop; see `applyMergesWithHeap`.
    let ranksFollowCreation: Bool
    /// Words longer than this (in symbols) use the heap path when allowed: the reference loop is
    /// quadratic, and a 100 kB run of letters would take seconds.
    static let heapThreshold = 48

    /// Builds the table. When a pair is listed twice the later rank wins, as in GPT-2's
    /// `dict(zip(bpe_merges, range(len(bpe_merges))))`.
    init(merges: [Merge]) {
        self.merges = merges
        var bits: UInt64 = 4
        while (1 << bits) < merges.count * 2 { bits += 1 }
        let capacity = 1 << Int(bits)
        var keys = [UInt64](repeating: Self.emptyKey, count: capacity)
        var values = [UInt64](repeating: 0, count: capacity)
        let shift = 64 - bits
        for (rank, merge) in merges.enumerated() {
            let key = Self.key(merge.left, merge.right)
            var slot = Self.slot(for: key, shift: shift)
            while keys[slot] != Self.emptyKey && keys[slot] != key { slot = (slot + 1) & (capacity - 1) }
            keys[slot] = key
            values[slot] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merge.merged))
        }
        self.keys = keys
        self.values = values
        self.shift = shift
        self.ranksFollowCreation = Self.checkRanksFollowCreation(merges)
    }

    private static func checkRanksFollowCreation(_ merges: [Merge]) -> Bool {
        // Later duplicates of a pair win, so a merge's effective rank is its last position.
        var effectiveRank: [UInt64: Int] = [:]
        for (rank, merge) in merges.enumerated() { effectiveRank[key(merge.left, merge.right)] = rank }
        var lastCreation: [Int32: Int] = [:]
        for (rank, merge) in merges.enumerated() where effectiveRank[key(merge.left, merge.right)] == rank {
            lastCreation[merge.merged] = max(lastCreation[merge.merged] ?? -1, rank)
        }
        for (rank, merge) in merges.enumerated() where effectiveRank[key(merge.left, merge.right)] == rank {
            if let created = lastCreation[merge.left], created >= rank { return false }
            if let created = lastCreation[merge.right], created >= rank { return false }
        }
        return true
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private static func slot(for key: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Rank and merged id of a pair, or nil if the pair is not a merge.
    func lookup(_ left: Int32, _ right: Int32) -> (rank: Int, merged: Int32)? {
        let packed = keys.withUnsafeBufferPointer { keys in
            values.withUnsafeBufferPointer { values in Self.find(Self.key(left, right), keys, values, shift) }
        }
        return packed == UInt64.max ? nil : (Int(packed >> 32), Int32(truncatingIfNeeded: packed))
    }

    @inline(__always)
    private static func find(
        _ key: UInt64, _ keys: UnsafeBufferPointer<UInt64>, _ values: UnsafeBufferPointer<UInt64>, _ shift: UInt64
    ) -> UInt64 {
        let mask = keys.count - 1
        var slot = slot(for: key, shift: shift)
        while true {
            let found = keys[slot]
            if found == key { return values[slot] }
            if found == emptyKey { return UInt64.max }
            slot = (slot + 1) & mask
        }
    }

    /// Runs GPT-2's BPE over `symbols[0..<count]` in place and returns the new count.
    func applyMerges(_ symbols: UnsafeMutablePointer<Int32>, count: Int) -> Int {
        if count > Self.heapThreshold && ranksFollowCreation { return applyMergesWithHeap(symbols, count: count) }
        return applyMergesByRounds(symbols, count: count)
    }

    /// Exactly the reference loop: each round finds the adjacent pair of lowest rank, then merges every
    /// occurrence of that pair in one left-to-right, non-overlapping pass; it stops when no adjacent pair
    /// is a merge. Rounds cost O(count), and there are at most count - 1 of them.
    func applyMergesByRounds(_ symbols: UnsafeMutablePointer<Int32>, count: Int) -> Int {
        keys.withUnsafeBufferPointer { keys in
            values.withUnsafeBufferPointer { values in
                var count = count
                while count > 1 {
                    var best = UInt64.max  // rank << 32 | merged of the lowest-rank pair so far
                    var bestLeft: Int32 = 0
                    var bestRight: Int32 = 0
                    for index in 0..<(count - 1) {
                        let packed = Self.find(Self.key(symbols[index], symbols[index + 1]), keys, values, shift)
                        if packed < best {
                            best = packed
                            bestLeft = symbols[index]
                            bestRight = symbols[index + 1]
                        }
                    }
                    if best == UInt64.max { break }
                    let merged = Int32(truncatingIfNeeded: best)
                    var read = 0
                    var write = 0
                    while read < count {
                        if read + 1 < count && symbols[read] == bestLeft && symbols[read + 1] == bestRight {
                            symbols[write] = merged
                            read += 2
                        } else {
                            symbols[write] = symbols[read]
                            read += 1
                        }
                        write += 1
                    }
                    count = write
                }
                return count
            }
        }
    }
}
