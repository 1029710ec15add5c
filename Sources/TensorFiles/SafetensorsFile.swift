import Foundation

/// A safetensors file, memory-mapped and validated in full when opened.
///
/// Opening checks everything the reference library checks, with the same limits: the 8-byte little-endian header
/// length against the file size (and the 100 MB cap), the JSON header (strictly, duplicate keys rejected), every
/// tensor's dtype, shape and `data_offsets`, and that the tensors tile the data section exactly: sorted by offset,
/// each starts where the previous ends, each is `product(shape) * dtype size` bytes, and the last ends at the end of
/// the file. After that, reads cannot fail on bounds.
public final class SafetensorsFile: TensorArchive, ContiguousTensorSource, @unchecked Sendable {
    /// The reference library refuses headers above this many bytes; so does this reader.
    public static let maximumHeaderLength = 100_000_000

    public let url: URL
    /// Tensor names in data-offset order.
    public let tensorNames: [String]
    /// The `__metadata__` map (empty when the header has none).
    public let metadata: [String: String]
    /// Byte offset of the data section: 8 + header length.
    public let dataSectionOffset: Int

    let path: String
    private let mapped: MappedFile
    private let entries: [String: Entry]

    struct Entry {
        let info: TensorInfo
        /// Absolute byte range in the file.
        let range: Range<Int>
    }

    /// Maps and validates the file at `url`.
    public convenience init(url: URL) throws(TensorFileError) {
        try self.init(mapped: MappedFile(url: url))
    }

    init(mapped: MappedFile) throws(TensorFileError) {
        self.mapped = mapped
        self.url = mapped.url
        self.path = mapped.path
        let parsed = try SafetensorsHeader.parse(mapped.bytes, path: mapped.path)
        self.dataSectionOffset = parsed.dataSectionOffset
        self.metadata = parsed.metadata
        self.tensorNames = parsed.tensors.map(\.name)
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(parsed.tensors.count)
        for tensor in parsed.tensors {
            let begin = parsed.dataSectionOffset + tensor.begin
            entries[tensor.name] = Entry(info: tensor.info, range: begin..<(begin + tensor.byteCount))
        }
        self.entries = entries
    }

    public func info(_ name: String) throws(TensorFileError) -> TensorInfo {
        try entry(name).info
    }

    /// The absolute byte range of a tensor's data in the file.
    public func byteRange(_ name: String) throws(TensorFileError) -> Range<Int> {
        try entry(name).range
    }

    public func readFloat32(_ name: String) throws(TensorFileError) -> [Float] {
        try TypedReads.float32(self, name)
    }

    public func readFloat32(
        _ name: String, into destination: UnsafeMutablePointer<Float>, count: Int
    ) throws(TensorFileError) {
        try TypedReads.float32(self, name, into: destination, count: count)
    }

    public func readFloat64(_ name: String) throws(TensorFileError) -> [Double] {
        try TypedReads.float64(self, name)
    }

    public func readInt64(_ name: String) throws(TensorFileError) -> [Int64] {
        try TypedReads.int64(self, name)
    }

    public func readInt(_ name: String) throws(TensorFileError) -> [Int] {
        try TypedReads.int64(self, name).map { Int($0) }
    }

    public func withRawData<Result>(
        _ name: String, _ body: (_ bytes: UnsafeRawBufferPointer, _ info: TensorInfo) throws -> Result
    ) throws -> Result {
        let entry = try entry(name)
        return try withExtendedLifetime(mapped) {
            try body(UnsafeRawBufferPointer(rebasing: mapped.bytes[entry.range]), entry.info)
        }
    }

    func withContiguousBytes<Result>(
        _ name: String, _ body: (UnsafeRawPointer, TensorInfo) -> Result
    ) throws(TensorFileError) -> Result {
        let entry = try entry(name)
        return withExtendedLifetime(mapped) {
            body(mapped.bytes.baseAddress! + entry.range.lowerBound, entry.info)
        }
    }

    private func entry(_ name: String) throws(TensorFileError) -> Entry {
        guard let entry = entries[name] else {
            throw TensorFileError.missingTensor(file: path, tensor: name, available: entries.count)
        }
        return entry
    }
}
