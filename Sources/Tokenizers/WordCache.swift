import Foundation

/// A bounded, thread-safe memo of BPE results for short pre-tokens.
///
/// Keys are the raw bytes packed into two words, not `String`s: Swift compares strings by canonical
/// equivalence, so "é" and "e" + U+0301 would share an entry although their tokens differ.
/// Words longer than `maximumWordLength` bytes are rare and are not cached.
final class WordCache: @unchecked Sendable {
    static let maximumWordLength = 16

    struct Key: Hashable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count: Int = 0

        /// Packs up to 16 bytes; callers check the length first.
        @inline(__always)
        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            count = bytes.count
            for (index, byte) in bytes.enumerated() {
                if index < 8 {
                    low |= UInt64(byte) << (8 * UInt64(index))
                } else {
                    high |= UInt64(byte) << (8 * UInt64(index - 8))
                }
            }
        }
    }

    private let lock = NSLock()
    private var entries: [Key: [Int32]] = [:]
    private let capacity: Int

    /// - Parameter capacity: entries kept before the cache is emptied and refilled; emptying whole keeps
    ///   the cost of a bound at zero per hit, and an editor's working set refills it in milliseconds.
    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
    }

    func lookup(_ key: Key) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func insert(_ key: Key, _ ids: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = ids
    }
}
