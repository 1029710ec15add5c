/// The mutable state of BPE training: words as symbol ids, pair counts, and where each pair occurs.
struct BPETrainingState {
    /// A pair and its count, ordered so that the heap's minimum is the pair to merge next.
    struct Candidate: Comparable {
        var count: Int
        var pair: UInt64

        static func < (lhs: Candidate, rhs: Candidate) -> Bool {
            lhs.count != rhs.count ? lhs.count > rhs.count : lhs.pair < rhs.pair
        }
    }

    private(set) var tokenBytes: [[UInt8]]
    private(set) var merges: [BPEMergeTable.Merge] = []
    private var idsByBytes: [[UInt8]: Int32] = [:]
    private var words: [[Int32]] = []
    private var wordFrequencies: [Int] = []
    private var pairCounts: [UInt64: Int] = [:]
    /// Words that contained the pair when it was counted; may hold stale or repeated indices.
    private var pairWords: [UInt64: [Int32]] = [:]
    private var heap = MinHeap<Candidate>()

    init(wordCounts: [[UInt8]: Int]) {
        var byteIDs = [Int32](repeating: 0, count: 256)
        tokenBytes = ByteLevelAlphabet.byteOrder.map { [$0] }
        for (id, byte) in ByteLevelAlphabet.byteOrder.enumerated() {
            byteIDs[Int(byte)] = Int32(id)
            idsByBytes[[byte]] = Int32(id)
        }
        // Sorted so that word order, and with it every tie, is the same from run to run.
        for (bytes, frequency) in wordCounts.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) })
        where bytes.count > 1 {
            words.append(bytes.map { byteIDs[Int($0)] })
            wordFrequencies.append(frequency)
        }
        for index in words.indices { addPairs(of: index) }
        for (pair, count) in pairCounts { heap.push(Candidate(count: count, pair: pair)) }
    }

    private static func pair(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Counts the word's pairs; records the word under a pair only if the pair involves `recordOnly`
    /// (the new token: other pairs of the word were recorded already), or always when it is nil.
    private mutating func addPairs(of index: Int, recordOnly: Int32? = nil) {
        let word = words[index]
        for position in 0..<(word.count - 1) {
            let pair = Self.pair(word[position], word[position + 1])
            pairCounts[pair, default: 0] += wordFrequencies[index]
            if recordOnly == nil || word[position] == recordOnly || word[position + 1] == recordOnly {
                pairWords[pair, default: []].append(Int32(index))
            }
        }
    }

    private mutating func removePairs(of index: Int) {
        let word = words[index]
        for position in 0..<(word.count - 1) {
            let pair = Self.pair(word[position], word[position + 1])
            let remaining = pairCounts[pair, default: 0] - wordFrequencies[index]
            pairCounts[pair] = remaining > 0 ? remaining : nil
        }
    }

    /// Learns merges until `newTokens` new ids exist or no pair occurs `minimumCount` times.
    ///
    /// A merge whose bytes equal an existing token's (("a", "bc") after ("ab", "c")) reuses that id, so
    /// the vocabulary's strings stay unique; it still counts as a merge but adds no id.
    mutating func learn(newTokens: Int, minimumCount: Int) {
        let target = 256 + max(0, newTokens)
        var visited = [Int](repeating: -1, count: words.count)
        while tokenBytes.count < target, let top = heap.pop() {
            let current = pairCounts[top.pair] ?? 0
            if current != top.count {
                if current > 0 { heap.push(Candidate(count: current, pair: top.pair)) }
                continue
            }
            guard current >= minimumCount else { break }
            let left = Int32(truncatingIfNeeded: top.pair >> 32)
            let right = Int32(truncatingIfNeeded: top.pair)
            let bytes = tokenBytes[Int(left)] + tokenBytes[Int(right)]
            let merged: Int32
            if let existing = idsByBytes[bytes] {
                merged = existing
            } else {
                merged = Int32(tokenBytes.count)
                tokenBytes.append(bytes)
                idsByBytes[bytes] = merged
            }
            merges.append(BPEMergeTable.Merge(left: left, right: right, merged: merged))

            var touched = Set<UInt64>()
            for wordIndex in pairWords.removeValue(forKey: top.pair) ?? [] {
                let index = Int(wordIndex)
                guard visited[index] != merges.count else { continue }
                visited[index] = merges.count
                removePairs(of: index)
                words[index] = Self.merge(words[index], left, right, into: merged)
                addPairs(of: index, recordOnly: merged)
                let word = words[index]
                for position in 0..<max(0, word.count - 1)
                where word[position] == merged || word[position + 1] == merged {
                    touched.insert(Self.pair(word[position], word[position + 1]))
                }
            }
            for pair in touched.sorted() {
                if let count = pairCounts[pair] { heap.push(Candidate(count: count, pair: pair)) }
            }
        }
    }

    /// The encoder's rule: every occurrence of (left, right), left to right, non-overlapping.
    private static func merge(_ word: [Int32], _ left: Int32, _ right: Int32, into merged: Int32) -> [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(word.count)
        var index = 0
        while index < word.count {
            if index + 1 < word.count && word[index] == left && word[index + 1] == right {
                result.append(merged)
                index += 2
            } else {
                result.append(word[index])
                index += 1
            }
        }
        return result
    }
}
