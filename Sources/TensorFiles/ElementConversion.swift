/// Conversion loops from little-endian file bytes to native element types.
///
/// The source may be unaligned (safetensors offsets need not be multiples of the element size), so every load
/// is `loadUnaligned`; on little-endian hosts these compile to plain loads.
enum ElementConversion {
    static func toFloat32(
        _ source: UnsafeRawPointer, dtype: DType, count: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        switch dtype {
        case .f32:
            #if _endian(little)
                UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
            #else
                for index in 0..<count {
                    destination[index] = Float(bitPattern: load(source, index, UInt32.self))
                }
            #endif
        case .f64:
            for index in 0..<count {
                destination[index] = Float(Double(bitPattern: load(source, index, UInt64.self)))
            }
        case .f16:
            for index in 0..<count {
                destination[index] = HalfPrecision.float(fromF16Bits: load(source, index, UInt16.self))
            }
        case .bf16:
            for index in 0..<count {
                destination[index] = HalfPrecision.float(fromBF16Bits: load(source, index, UInt16.self))
            }
        default:
            preconditionFailure("toFloat32 called with non-float dtype \(dtype)")
        }
    }

    static func toFloat64(
        _ source: UnsafeRawPointer, dtype: DType, count: Int, into destination: UnsafeMutablePointer<Double>
    ) {
        switch dtype {
        case .f64:
            #if _endian(little)
                UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 8)
            #else
                for index in 0..<count {
                    destination[index] = Double(bitPattern: load(source, index, UInt64.self))
                }
            #endif
        case .f32, .f16, .bf16:
            for index in 0..<count {
                var narrow: Float = 0
                toFloat32(source + index * dtype.byteSize, dtype: dtype, count: 1, into: &narrow)
                destination[index] = Double(narrow)
            }
        default:
            preconditionFailure("toFloat64 called with non-float dtype \(dtype)")
        }
    }

    static func toInt64(
        _ source: UnsafeRawPointer, dtype: DType, count: Int, into destination: UnsafeMutablePointer<Int64>
    ) {
        switch dtype {
        case .i64:
            #if _endian(little)
                UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 8)
            #else
                for index in 0..<count { destination[index] = Int64(bitPattern: load(source, index, UInt64.self)) }
            #endif
        case .i32:
            for index in 0..<count { destination[index] = Int64(Int32(bitPattern: load(source, index, UInt32.self))) }
        case .i16:
            for index in 0..<count { destination[index] = Int64(Int16(bitPattern: load(source, index, UInt16.self))) }
        case .i8:
            for index in 0..<count { destination[index] = Int64(Int8(bitPattern: load(source, index, UInt8.self))) }
        case .u8:
            for index in 0..<count { destination[index] = Int64(load(source, index, UInt8.self)) }
        case .bool:
            for index in 0..<count { destination[index] = load(source, index, UInt8.self) != 0 ? 1 : 0 }
        default:
            preconditionFailure("toInt64 called with non-integer dtype \(dtype)")
        }
    }

    @inline(__always)
    private static func load<T: FixedWidthInteger>(_ source: UnsafeRawPointer, _ index: Int, _: T.Type) -> T {
        T(littleEndian: source.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.stride, as: T.self))
    }
}

/// The shared reading surface: given a way to find a tensor's contiguous little-endian bytes, every typed reader
/// follows. Both archive types implement `withContiguousBytes` (torch materialises strided views there) and
/// forward their public readers to ``TypedReads``.
protocol ContiguousTensorSource: AnyObject {
    var path: String { get }
    func info(_ name: String) throws(TensorFileError) -> TensorInfo
    func withContiguousBytes<Result>(
        _ name: String, _ body: (UnsafeRawPointer, TensorInfo) -> Result
    ) throws(TensorFileError) -> Result
}

enum TypedReads {
    static func float32<Source: ContiguousTensorSource>(
        _ source: Source, _ name: String
    ) throws(TensorFileError) -> [Float] {
        _ = try floatInfo(source, name)
        return try source.withContiguousBytes(name) { bytes, info in
            [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
                if let base = buffer.baseAddress {
                    ElementConversion.toFloat32(bytes, dtype: info.dtype, count: info.elementCount, into: base)
                }
                initialized = info.elementCount
            }
        }
    }

    static func float32<Source: ContiguousTensorSource>(
        _ source: Source, _ name: String, into destination: UnsafeMutablePointer<Float>, count: Int
    ) throws(TensorFileError) {
        let info = try floatInfo(source, name)
        guard count == info.elementCount else {
            throw TensorFileError.countMismatch(
                file: source.path, tensor: name, expected: info.elementCount, found: count)
        }
        try source.withContiguousBytes(name) { bytes, info in
            ElementConversion.toFloat32(bytes, dtype: info.dtype, count: count, into: destination)
        }
    }

    static func float64<Source: ContiguousTensorSource>(
        _ source: Source, _ name: String
    ) throws(TensorFileError) -> [Double] {
        _ = try floatInfo(source, name)
        return try source.withContiguousBytes(name) { bytes, info in
            [Double](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
                if let base = buffer.baseAddress {
                    ElementConversion.toFloat64(bytes, dtype: info.dtype, count: info.elementCount, into: base)
                }
                initialized = info.elementCount
            }
        }
    }

    static func int64<Source: ContiguousTensorSource>(
        _ source: Source, _ name: String
    ) throws(TensorFileError) -> [Int64] {
        let info = try source.info(name)
        guard !info.dtype.isFloatingPoint else {
            throw TensorFileError.wrongDType(
                file: source.path, tensor: name, expected: "I64, I32, I16, I8, U8 or BOOL", found: info.dtype)
        }
        return try source.withContiguousBytes(name) { bytes, info in
            [Int64](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
                if let base = buffer.baseAddress {
                    ElementConversion.toInt64(bytes, dtype: info.dtype, count: info.elementCount, into: base)
                }
                initialized = info.elementCount
            }
        }
    }

    private static func floatInfo<Source: ContiguousTensorSource>(
        _ source: Source, _ name: String
    ) throws(TensorFileError) -> TensorInfo {
        let info = try source.info(name)
        guard info.dtype.isFloatingPoint else {
            throw TensorFileError.wrongDType(
                file: source.path, tensor: name, expected: "F32, F64, F16 or BF16", found: info.dtype)
        }
        return info
    }
}
