import Foundation

/// A `torch.save` checkpoint in the zip format (torch >= 1.6), such as a hub `pytorch_model.bin`, memory-mapped.
///
/// The zip holds `<archive>/data.pkl` (the pickled state_dict), one `<archive>/data/<key>` entry per storage, and
/// small records (`byteorder`, `version`). Opening checks the zip structure and every entry's CRC-32, interprets
/// the pickle with ``PickleInterpreter`` (an allowlist of globals, nothing executed), and checks that every tensor
/// view fits inside its storage. Strided (non-contiguous) views are materialised by the converting readers;
/// ``withRawData(_:_:)`` refuses them.
public final class TorchCheckpointFile: TensorArchive, ContiguousTensorSource, @unchecked Sendable {
    public let url: URL
    /// Tensor names in the state_dict's insertion order.
    public let tensorNames: [String]
    /// Always empty: torch checkpoints carry no string metadata.
    public let metadata: [String: String] = [:]

    let path: String
    private let mapped: MappedFile
    private let entries: [String: Entry]

    struct Entry {
        let info: TensorInfo
        /// Absolute byte range of the whole storage in the file.
        let storage: Range<Int>
        /// Offset and strides in elements, as torch records them.
        let storageOffset: Int
        let strides: [Int]
        let isContiguous: Bool
    }

    /// Maps and validates the checkpoint at `url`. `verifyChecksums` checks every entry's CRC-32 (about 1 ms per
    /// MB); turn it off only for files already verified.
    public convenience init(url: URL, verifyChecksums: Bool = true) throws(TensorFileError) {
        try self.init(mapped: MappedFile(url: url), verifyChecksums: verifyChecksums)
    }

    init(mapped: MappedFile, verifyChecksums: Bool = true) throws(TensorFileError) {
        self.mapped = mapped
        self.url = mapped.url
        self.path = mapped.path
        let path = mapped.path
        let zip = try ZipArchive(bytes: mapped.bytes, path: path)
        if verifyChecksums {
            for entry in zip.entries {
                let found = CRC32.checksum(UnsafeRawBufferPointer(rebasing: mapped.bytes[entry.range]))
                guard found == entry.crc32 else {
                    throw TensorFileError.checksumMismatch(
                        file: path, entry: entry.name, expected: entry.crc32, found: found)
                }
            }
        }
        let pickles = zip.entries.filter { $0.name.hasSuffix("/data.pkl") && $0.name.split(separator: "/").count == 2 }
        guard pickles.count == 1 else {
            if pickles.isEmpty { throw TensorFileError.missingZipEntry(file: path, entry: "<archive>/data.pkl") }
            throw TensorFileError.corruptZip(file: path, reason: "\(pickles.count) data.pkl entries, expected one")
        }
        let prefix = String(pickles[0].name.dropLast("data.pkl".count))
        if let byteOrder = zip.entry(named: prefix + "byteorder") {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: mapped.bytes[byteOrder.range]), as: UTF8.self)
            guard text == "little" else {
                throw TensorFileError.invalidCheckpoint(
                    file: path, tensor: nil, reason: "byteorder record says \"\(text)\", expected \"little\"")
            }
        }
        let root = try PickleInterpreter.run(
            UnsafeRawBufferPointer(rebasing: mapped.bytes[pickles[0].range]), path: path)
        guard case .dict(let dict) = root else {
            throw TensorFileError.invalidCheckpoint(
                file: path, tensor: nil, reason: "data.pkl holds \(root.kindName), expected a state_dict (a dict)")
        }
        var names: [String] = []
        var entries: [String: Entry] = [:]
        for (key, value) in dict.pairs {
            guard case .string(let name) = key else {
                throw TensorFileError.invalidCheckpoint(
                    file: path, tensor: nil, reason: "state_dict key \(key.kindName) is not a string")
            }
            guard case .tensor(let tensor) = value else {
                throw TensorFileError.invalidCheckpoint(
                    file: path, tensor: name, reason: "value is \(value.kindName), expected a tensor")
            }
            entries[name] = try Self.locate(tensor, name: name, archive: zip, prefix: prefix, path: path)
            names.append(name)
        }
        self.tensorNames = names
        self.entries = entries
    }

    private static func locate(
        _ tensor: PickleTensor, name: String, archive: ZipArchive, prefix: String, path: String
    ) throws(TensorFileError) -> Entry {
        func invalid(_ reason: String) -> TensorFileError {
            .invalidCheckpoint(file: path, tensor: name, reason: reason)
        }
        let storage = tensor.storage
        let entryName = prefix + "data/" + storage.key
        guard let zipEntry = archive.entry(named: entryName) else {
            throw TensorFileError.missingZipEntry(file: path, entry: entryName)
        }
        guard let storageBytes = checkedElementCount([storage.elementCount], elementSize: storage.dtype.byteSize),
            storageBytes == zipEntry.range.count
        else {
            throw invalid(
                "storage \"\(entryName)\" holds \(zipEntry.range.count) bytes, expected \(storage.elementCount) "
                    + "\(storage.dtype.rawValue) elements")
        }
        guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.strides.allSatisfy({ $0 >= 0 }),
            let elementCount = checkedElementCount(tensor.shape)
        else { throw invalid("shape \(tensor.shape) / strides \(tensor.strides) must be non-negative") }
        // The furthest element the view touches must lie inside the storage.
        if elementCount > 0 {
            var last = tensor.storageOffset
            for (size, stride) in Swift.zip(tensor.shape, tensor.strides) {
                let (span, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
                guard !overflow, !last.addingReportingOverflow(span).overflow else { throw invalid("view overflows") }
                last += span
            }
            guard last < storage.elementCount else {
                throw invalid(
                    "view (offset \(tensor.storageOffset), shape \(tensor.shape), strides \(tensor.strides)) "
                        + "reaches element \(last), but storage \"\(entryName)\" holds \(storage.elementCount)")
            }
        } else if tensor.storageOffset > storage.elementCount {
            throw invalid("storage offset \(tensor.storageOffset) beyond storage of \(storage.elementCount) elements")
        }
        return Entry(
            info: TensorInfo(dtype: storage.dtype, shape: tensor.shape), storage: zipEntry.range,
            storageOffset: tensor.storageOffset, strides: tensor.strides,
            isContiguous: Self.isRowMajor(shape: tensor.shape, strides: tensor.strides))
    }

    /// Row-major contiguity, ignoring the strides of size-1 dimensions (torch leaves them arbitrary).
    private static func isRowMajor(shape: [Int], strides: [Int]) -> Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            if size == 0 { return true }
            if stride != expected { return false }
            expected *= size
        }
        return true
    }

    public func info(_ name: String) throws(TensorFileError) -> TensorInfo {
        try entry(name).info
    }

    /// Element strides of a tensor's view into its storage (row-major contiguous unless the saver kept a view).
    public func strides(_ name: String) throws(TensorFileError) -> [Int] {
        try entry(name).strides
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
        guard entry.isContiguous else {
            throw TensorFileError.nonContiguous(
                file: path, tensor: name, shape: entry.info.shape, strides: entry.strides)
        }
        let begin = entry.storage.lowerBound + entry.storageOffset * entry.info.dtype.byteSize
        return try withExtendedLifetime(mapped) {
            try body(UnsafeRawBufferPointer(rebasing: mapped.bytes[begin..<(begin + entry.info.byteCount)]), entry.info)
        }
    }

    func withContiguousBytes<Result>(
        _ name: String, _ body: (UnsafeRawPointer, TensorInfo) -> Result
    ) throws(TensorFileError) -> Result {
        let entry = try entry(name)
        let elementSize = entry.info.dtype.byteSize
        let storageBase = mapped.bytes.baseAddress! + entry.storage.lowerBound
        if entry.isContiguous {
            return withExtendedLifetime(mapped) { body(storageBase + entry.storageOffset * elementSize, entry.info) }
        }
        // Gather the strided view into a row-major copy, element by element (views are rare in state_dicts).
        let shape = entry.info.shape
        let count = entry.info.elementCount
        let gathered = UnsafeMutableRawPointer.allocate(byteCount: max(count * elementSize, 1), alignment: 16)
        defer { gathered.deallocate() }
        var index = [Int](repeating: 0, count: shape.count)
        var source = entry.storageOffset
        for element in 0..<count {
            (gathered + element * elementSize).copyMemory(
                from: storageBase + source * elementSize, byteCount: elementSize)
            var dimension = shape.count - 1
            while dimension >= 0 {
                index[dimension] += 1
                source += entry.strides[dimension]
                if index[dimension] < shape[dimension] { break }
                source -= entry.strides[dimension] * shape[dimension]
                index[dimension] = 0
                dimension -= 1
            }
        }
        return withExtendedLifetime(mapped) { body(UnsafeRawPointer(gathered), entry.info) }
    }

    private func entry(_ name: String) throws(TensorFileError) -> Entry {
        guard let entry = entries[name] else {
            throw TensorFileError.missingTensor(file: path, tensor: name, available: entries.count)
        }
        return entry
    }
}
