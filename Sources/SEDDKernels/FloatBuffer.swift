/// A block of `Float`s allocated once and freed with its owner.
///
/// Kernels take raw pointers; this class only owns the memory so that buffers can be sized from a
/// table at start-up and never reallocated on the hot path. Memory is 64-byte aligned so that
/// `SIMD16<Float>` loads never split a cache line.
public final class FloatBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count, zeroed: false)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}

/// A block of `Int32` token ids (or other small integers) owned the same way.
public final class IntBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Int32>

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    public var array: [Int] { (0..<count).map { Int(pointer[$0]) } }

    public subscript(index: Int) -> Int32 {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}
