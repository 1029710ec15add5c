/// BPE for long words in O(n log n): merge one occurrence at a time, lowest (rank, position) first.
///
/// Why this equals the reference loop when `ranksFollowCreation` holds: in a reference round of rank r,
/// r is the lowest rank present; merging one occurrence of its pair (A, B) into C only creates pairs
/// containing C, which rank after r by the condition, so the next pick is again rank r, the leftmost
/// remaining (A, B). Since C differs from A and from B, a merge never creates a new (A, B), and the
/// leftmost-first picks are exactly the round's left-to-right, non-overlapping pass.
extension BPEMergeTable {
    func applyMergesWithHeap(_ symbols: UnsafeMutablePointer<Int32>, count: Int) -> Int {
        precondition(count < Int(UInt32.max), "word too long for 32-bit positions")
        // Doubly linked list over positions; a merge keeps the left position and unlinks the right one.
        var next = [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = index + 1 }
            initialized = count
        }
        var previous = [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = index - 1 }
            initialized = count
        }
        var alive = [Bool](repeating: true, count: count)
        // Min-heap of `rank << 32 | position`; entries go stale as symbols change and are re-checked on pop.
        var heap = MinHeap<UInt64>()
        heap.reserve(count)
        for index in 0..<(count - 1) {
            if let found = lookup(symbols[index], symbols[index + 1]) {
                heap.push(UInt64(found.rank) << 32 | UInt64(index))
            }
        }
        while let entry = heap.pop() {
            let position = Int(entry & 0xFFFF_FFFF)
            let rank = Int(entry >> 32)
            guard alive[position] else { continue }
            let right = next[position]
            guard right < count, let found = lookup(symbols[position], symbols[right]), found.rank == rank else {
                continue
            }
            symbols[position] = found.merged
            alive[right] = false
            let afterRight = next[right]
            next[position] = afterRight
            if afterRight < count { previous[afterRight] = position }
            if afterRight < count, let pair = lookup(symbols[position], symbols[afterRight]) {
                heap.push(UInt64(pair.rank) << 32 | UInt64(position))
            }
            let before = previous[position]
            if before >= 0, let pair = lookup(symbols[before], symbols[position]) {
                heap.push(UInt64(pair.rank) << 32 | UInt64(before))
            }
        }
        var write = 0
        var index = 0
        while index < count {
            symbols[write] = symbols[index]
            write += 1
            index = next[index]
        }
        return write
    }
}

/// A binary min-heap.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    mutating func reserve(_ capacity: Int) { items.reserveCapacity(capacity) }

    mutating func push(_ item: Element) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if items[parent] <= items[child] { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                if left >= items.count { break }
                let right = left + 1
                let smaller = right < items.count && items[right] < items[left] ? right : left
                if items[parent] <= items[smaller] { break }
                items.swapAt(parent, smaller)
                parent = smaller
            }
        }
        return top
    }
}
