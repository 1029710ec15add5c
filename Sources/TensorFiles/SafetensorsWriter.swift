import Foundation

/// Builds a safetensors file from tensors in the order they are added.
///
/// The output matches the reference library byte for byte for the same order and metadata: compact JSON with
/// `__metadata__` first (keys sorted here, for reproducible files), tensors laid out back to back in insertion
/// order, and the header padded with spaces to a multiple of 8 bytes so the data section starts aligned.
public final class SafetensorsWriter {
    /// How ``add(_:shape:floats:as:)`` stores `Float` values.
    public enum FloatEncoding: Sendable {
        /// Stored as is.
        case f32
        /// Rounded to nearest bfloat16, ties to even.
        case bf16
        /// Rounded to nearest IEEE binary16, ties to even (overflow becomes infinity).
        case f16
    }

    /// One tensor queued for writing.
    public struct Tensor: Sendable {
        public let name: String
        public let info: TensorInfo
        /// Little-endian element bytes, `info.byteCount` long.
        public let bytes: [UInt8]
    }

    /// Where ``write()`` puts the file; named in every error.
    public let destination: URL
    /// Written as `__metadata__` (omitted when empty, as the reference does for `None`).
    public var metadata: [String: String]
    public private(set) var tensors: [Tensor] = []
    private var names = Set<String>()

    public init(destination: URL, metadata: [String: String] = [:]) {
        self.destination = destination
        self.metadata = metadata
    }

    /// Queues a tensor given as raw little-endian bytes; checks the name is new and the byte count matches.
    public func add(_ name: String, dtype: DType, shape: [Int], bytes: [UInt8]) throws(TensorFileError) {
        func invalid(_ reason: String) -> TensorFileError {
            .invalidWriterInput(file: destination.path, tensor: name, reason: reason)
        }
        guard name != "__metadata__" else { throw invalid("the name __metadata__ is reserved for the metadata map") }
        guard !names.contains(name) else { throw invalid("a tensor of this name was already added") }
        guard let expected = checkedElementCount(shape, elementSize: dtype.byteSize) else {
            throw invalid("shape \(shape) has a negative dimension or too many elements")
        }
        guard expected == bytes.count else {
            throw invalid("\(bytes.count) bytes given, expected \(expected) for \(dtype.rawValue) \(shape)")
        }
        names.insert(name)
        tensors.append(Tensor(name: name, info: TensorInfo(dtype: dtype, shape: shape), bytes: bytes))
    }

    /// Queues `Float` values as F32, BF16 or F16.
    public func add(
        _ name: String, shape: [Int], floats: [Float], as encoding: FloatEncoding = .f32
    ) throws(TensorFileError) {
        switch encoding {
        case .f32:
            try add(name, dtype: .f32, shape: shape, bytes: littleEndianBytes(floats.map(\.bitPattern)))
        case .bf16:
            try add(name, dtype: .bf16, shape: shape, bytes: littleEndianBytes(floats.map(HalfPrecision.bf16Bits)))
        case .f16:
            try add(name, dtype: .f16, shape: shape, bytes: littleEndianBytes(floats.map(HalfPrecision.f16Bits)))
        }
    }

    /// Queues `Double` values as F64.
    public func add(_ name: String, shape: [Int], doubles: [Double]) throws(TensorFileError) {
        try add(name, dtype: .f64, shape: shape, bytes: littleEndianBytes(doubles.map(\.bitPattern)))
    }

    /// Queues `Int64` values as I64.
    public func add(_ name: String, shape: [Int], int64s: [Int64]) throws(TensorFileError) {
        try add(name, dtype: .i64, shape: shape, bytes: littleEndianBytes(int64s))
    }

    /// The 8-byte length followed by the padded JSON header.
    public func encodedHeader() -> [UInt8] {
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            json += metadata.keys.sorted().map { jsonString($0) + ":" + jsonString(metadata[$0]!) }
                .joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for tensor in tensors {
            if !first { json += "," }
            first = false
            let end = offset + tensor.bytes.count
            json +=
                jsonString(tensor.name) + ":{\"dtype\":\"\(tensor.info.dtype.rawValue)\",\"shape\":["
                + tensor.info.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var header = Array(json.utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        return littleEndianBytes([UInt64(header.count)]) + header
    }

    /// The whole file in memory.
    public func encoded() -> [UInt8] {
        var output = encodedHeader()
        output.reserveCapacity(output.count + tensors.reduce(0) { $0 + $1.bytes.count })
        for tensor in tensors { output.append(contentsOf: tensor.bytes) }
        return output
    }

    /// Writes the file to ``destination`` through a temporary sibling renamed into place, so a reader never sees a
    /// half-written file.
    public func write() throws(TensorFileError) {
        let path = destination.path
        let temporary = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw TensorFileError.writeFailed(file: path, reason: "cannot create \(temporary)")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try handle.write(contentsOf: encodedHeader())
            for tensor in tensors { try handle.write(contentsOf: tensor.bytes) }
            try handle.synchronize()
        } catch {
            unlink(temporary)
            throw TensorFileError.writeFailed(file: path, reason: "\(error)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw TensorFileError.writeFailed(file: path, reason: "rename failed: \(reason)")
        }
    }
}

func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: values.count * MemoryLayout<T>.size)
    bytes.withUnsafeMutableBytes { raw in
        for (index, value) in values.enumerated() {
            raw.storeBytes(of: value.littleEndian, toByteOffset: index * MemoryLayout<T>.size, as: T.self)
        }
    }
    return bytes
}

/// JSON string literal in serde_json's compact style (short escapes where JSON has them, `\u00XX` otherwise).
private func jsonString(_ text: String) -> String {
    var output = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": output += "\\\""
        case "\\": output += "\\\\"
        case "\n": output += "\\n"
        case "\r": output += "\\r"
        case "\t": output += "\\t"
        case "\u{08}": output += "\\b"
        case "\u{0C}": output += "\\f"
        case "\u{00}"..."\u{1F}":
            let hex = String(scalar.value, radix: 16)
            output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: output.unicodeScalars.append(scalar)
        }
    }
    return output + "\""
}
