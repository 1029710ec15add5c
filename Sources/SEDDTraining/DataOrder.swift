import SEDDKernels

/// The order in which training blocks are visited: a fresh seeded permutation per epoch, walked by a
/// cursor. (epoch, cursor) is the whole state, so a checkpoint can resume mid-epoch exactly.
public struct DataOrder: Sendable, Equatable {
    public let blockCount: Int
    public let seed: UInt64
    public private(set) var epoch: Int
    public private(set) var cursor: Int
    private var permutation: [Int]

    public init(blockCount: Int, seed: UInt64, epoch: Int = 0, cursor: Int = 0) {
        precondition(blockCount > 0, "no blocks to order")
        self.blockCount = blockCount
        self.seed = seed
        self.epoch = epoch
        self.cursor = cursor
        permutation = Self.permutation(blockCount, seed: seed, epoch: epoch)
    }

    /// The next `count` block indices, moving into the next epoch when this one runs out.
    public mutating func next(_ count: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        while out.count < count {
            if cursor == blockCount {
                epoch += 1
                cursor = 0
                permutation = Self.permutation(blockCount, seed: seed, epoch: epoch)
            }
            out.append(permutation[cursor])
            cursor += 1
        }
        return out
    }

    static func permutation(_ n: Int, seed: UInt64, epoch: Int) -> [Int] {
        var rng = SeededRandom(seed: seed &+ 0x9E37_79B9 &* UInt64(epoch + 1))
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                p.swapAt(i, j)
            }
        }
        return p
    }
}
