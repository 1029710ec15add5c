/// A growable byte queue: append at the end, consume from the front, compact lazily.
///
/// Framers are fed arbitrary chunks (one byte at a time in the worst case), so consuming must not copy
/// the rest of the buffer each time.
struct ByteBuffer {
    private(set) var storage: [UInt8] = []
    private(set) var start = 0

    var count: Int { storage.count - start }
    var isEmpty: Bool { count == 0 }

    /// The byte at `offset` from the front.
    subscript(offset: Int) -> UInt8 { storage[start + offset] }

    mutating func append(_ bytes: [UInt8]) { storage.append(contentsOf: bytes) }

    /// The first `length` bytes, copied out.
    func prefix(_ length: Int) -> [UInt8] { Array(storage[start..<start + length]) }

    mutating func consume(_ length: Int) {
        precondition(length <= count, "consuming more than buffered")
        start += length
        if start == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 1 << 20)
            start = 0
        } else if start > 4096 && start * 2 > storage.count {
            storage.removeFirst(start)
            start = 0
        }
    }

    mutating func removeAll() {
        storage.removeAll()
        start = 0
    }

    /// Offset (from the front) of the first `byte` at or after `from`, or nil.
    func firstIndex(of byte: UInt8, from: Int) -> Int? {
        var index = start + from
        while index < storage.count {
            if storage[index] == byte { return index - start }
            index += 1
        }
        return nil
    }
}
