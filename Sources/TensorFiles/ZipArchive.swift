/// A read-only view of a zip archive whose entries are stored uncompressed, as `torch.save` writes them.
///
/// Reads the end-of-central-directory record (and its zip64 twin when present), every central-directory entry
/// (with zip64 extra fields), and each entry's local header, which gives where the data starts (torch pads the
/// local extra field so storages are 64-byte aligned). Sizes come from the central directory, because torch sets
/// the data-descriptor flag and leaves the local sizes zero.
struct ZipArchive {
    struct Entry {
        let name: String
        /// Absolute byte range of the stored data in the file.
        let range: Range<Int>
        let crc32: UInt32
    }

    let path: String
    let entries: [Entry]
    private let index: [String: Int]

    private static let endOfDirectorySignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let centralSignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50

    init(bytes: UnsafeRawBufferPointer, path: String) throws(TensorFileError) {
        self.path = path
        let reader = LittleEndianReader(bytes: bytes)
        func corrupt(_ reason: String) -> TensorFileError { .corruptZip(file: path, reason: reason) }

        guard let endRecord = Self.findEndRecord(reader) else {
            throw corrupt("no end-of-central-directory record in the last 65,557 bytes (file truncated?)")
        }
        var entryCount = Int(reader.u16(endRecord + 10))
        var directorySize = Int(reader.u32(endRecord + 12))
        var directoryOffset = Int(reader.u32(endRecord + 16))
        let locator = endRecord - 20
        if locator >= 0 && reader.u32(locator) == Self.zip64LocatorSignature {
            let zip64End = reader.u64(locator + 8)
            guard zip64End <= UInt64(locator), reader.contains(Int(zip64End), 56),
                reader.u32(Int(zip64End)) == Self.zip64EndSignature
            else { throw corrupt("zip64 locator points to \(zip64End), where no zip64 end record is") }
            let record = Int(zip64End)
            guard reader.u64(record + 32) <= UInt64(Int.max), reader.u64(record + 40) <= UInt64(Int.max),
                reader.u64(record + 48) <= UInt64(Int.max)
            else { throw corrupt("zip64 end record holds sizes beyond this machine's range") }
            entryCount = Int(reader.u64(record + 32))
            directorySize = Int(reader.u64(record + 40))
            directoryOffset = Int(reader.u64(record + 48))
        }
        guard reader.contains(directoryOffset, directorySize), directoryOffset + directorySize <= endRecord else {
            throw corrupt(
                "central directory [\(directoryOffset), +\(directorySize)) lies outside the file "
                    + "(\(bytes.count) bytes, end record at \(endRecord))")
        }

        var entries: [Entry] = []
        var index: [String: Int] = [:]
        var cursor = directoryOffset
        for ordinal in 0..<entryCount {
            guard cursor + 46 <= directoryOffset + directorySize, reader.u32(cursor) == Self.centralSignature else {
                throw corrupt(
                    "central directory entry \(ordinal) of \(entryCount) at byte \(cursor): expected "
                        + "signature PK\\1\\2")
            }
            let (entry, next) = try Self.parseEntry(
                reader, at: cursor, limit: directoryOffset + directorySize,
                dataLimit: directoryOffset, path: path)
            guard index[entry.name] == nil else { throw corrupt("duplicate entry \"\(entry.name)\"") }
            index[entry.name] = entries.count
            entries.append(entry)
            cursor = next
        }
        guard cursor == directoryOffset + directorySize else {
            throw corrupt(
                "central directory holds \(directoryOffset + directorySize - cursor) bytes after its "
                    + "\(entryCount) announced entries")
        }
        self.entries = entries
        self.index = index
    }

    func entry(named name: String) -> Entry? {
        index[name].map { entries[$0] }
    }

    private static func findEndRecord(_ reader: LittleEndianReader) -> Int? {
        let count = reader.bytes.count
        guard count >= 22 else { return nil }
        let lowest = max(0, count - 22 - 0xFFFF)
        var position = count - 22
        while position >= lowest {
            // The comment length must account for exactly the bytes after the record.
            if reader.u32(position) == endOfDirectorySignature
                && Int(reader.u16(position + 20)) == count - position - 22
            {
                return position
            }
            position -= 1
        }
        return nil
    }

    private static func parseEntry(
        _ reader: LittleEndianReader, at offset: Int, limit: Int, dataLimit: Int, path: String
    ) throws(TensorFileError) -> (Entry, next: Int) {
        func corrupt(_ reason: String) -> TensorFileError { .corruptZip(file: path, reason: reason) }
        let flags = reader.u16(offset + 8)
        let method = reader.u16(offset + 10)
        let crc = reader.u32(offset + 16)
        var compressedSize = UInt64(reader.u32(offset + 20))
        var size = UInt64(reader.u32(offset + 24))
        let nameLength = Int(reader.u16(offset + 28))
        let extraLength = Int(reader.u16(offset + 30))
        let commentLength = Int(reader.u16(offset + 32))
        var localOffset = UInt64(reader.u32(offset + 42))
        let next = offset + 46 + nameLength + extraLength + commentLength
        guard next <= limit else { throw corrupt("central directory entry at byte \(offset) runs past the directory") }
        let nameBytes = UnsafeRawBufferPointer(rebasing: reader.bytes[(offset + 46)..<(offset + 46 + nameLength)])
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw corrupt("entry name at byte \(offset + 46) is not UTF-8")
        }

        // Zip64 extra field: the 64-bit values appear only for the fields whose 32-bit slot is saturated.
        var extra = offset + 46 + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let tag = reader.u16(extra)
            let length = Int(reader.u16(extra + 2))
            guard extra + 4 + length <= extraEnd else { throw corrupt("entry \"\(name)\": extra field overruns") }
            if tag == 0x0001 {
                var field = extra + 4
                func next64() throws(TensorFileError) -> UInt64 {
                    guard field + 8 <= extra + 4 + length else {
                        throw corrupt("entry \"\(name)\": zip64 extra field too short")
                    }
                    defer { field += 8 }
                    return reader.u64(field)
                }
                if size == 0xFFFF_FFFF { size = try next64() }
                if compressedSize == 0xFFFF_FFFF { compressedSize = try next64() }
                if localOffset == 0xFFFF_FFFF { localOffset = try next64() }
            }
            extra += 4 + length
        }

        if flags & 0x0001 != 0 {
            throw TensorFileError.unsupportedZipEntry(file: path, entry: name, reason: "is encrypted; expected plain")
        }
        if method != 0 {
            throw TensorFileError.unsupportedZipEntry(
                file: path, entry: name,
                reason: "is compressed (method \(method)); torch.save stores entries uncompressed (method 0)")
        }
        guard compressedSize == size else {
            throw corrupt(
                "entry \"\(name)\" is stored but its compressed size \(compressedSize) differs from its "
                    + "size \(size)")
        }
        guard localOffset <= UInt64(dataLimit), reader.contains(Int(localOffset), 30),
            reader.u32(Int(localOffset)) == localSignature
        else {
            throw corrupt("entry \"\(name)\": no local header (PK\\3\\4) at byte \(localOffset)")
        }
        let local = Int(localOffset)
        let localNameLength = Int(reader.u16(local + 26))
        let localExtraLength = Int(reader.u16(local + 28))
        let dataStart = local + 30 + localNameLength + localExtraLength
        guard localNameLength == nameLength, reader.contains(local + 30, nameLength),
            UnsafeRawBufferPointer(rebasing: reader.bytes[(local + 30)..<(local + 30 + nameLength)])
                .elementsEqual(nameBytes)
        else { throw corrupt("entry \"\(name)\": local header name differs from the central directory") }
        guard size <= UInt64(dataLimit), dataStart <= dataLimit - Int(size) else {
            throw corrupt(
                "entry \"\(name)\": data [\(dataStart), +\(size)) runs into the central directory at "
                    + "\(dataLimit)")
        }
        return (Entry(name: name, range: dataStart..<(dataStart + Int(size)), crc32: crc), next)
    }
}
