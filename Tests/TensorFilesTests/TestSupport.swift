import Foundation
import XCTest

@testable import TensorFiles

/// Fixture and scratch-file helpers shared by the tests.
enum TestFiles {
    static func fixture(_ name: String) throws -> URL {
        let folder = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return folder.appendingPathComponent(name)
    }

    /// A fresh directory under the system temporary directory, removed by the test's teardown block.
    static func scratchDirectory(for test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("TensorFilesTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    static func write(_ bytes: [UInt8], named name: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// A safetensors file from a literal header (padded like the reference) and data bytes.
    static func safetensors(header: String, data: [UInt8]) -> [UInt8] {
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)
        return littleEndian(UInt64(headerBytes.count)) + headerBytes + data
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

/// Asserts that `body` throws a ``TensorFileError`` matching `matches`, whose message names `file`.
func assertTensorFileError<T>(
    _ body: @autoclosure () throws -> T, names file: URL, _ label: String,
    file sourceFile: StaticString = #filePath, line: UInt = #line,
    matches: (TensorFileError) -> Bool
) {
    do {
        _ = try body()
        XCTFail("\(label): expected an error, got success", file: sourceFile, line: line)
    } catch let error as TensorFileError {
        XCTAssertTrue(matches(error), "\(label): unexpected error case: \(error)", file: sourceFile, line: line)
        XCTAssertTrue(
            error.description.contains(file.lastPathComponent), "\(label): message does not name the file: \(error)",
            file: sourceFile, line: line)
    } catch {
        XCTFail("\(label): unexpected error type: \(error)", file: sourceFile, line: line)
    }
}

/// Builds pickle byte streams the way `torch.save` writes a state_dict (protocol 2).
struct PickleBuilder {
    var bytes: [UInt8] = [0x80, 0x02]
    private var memo: UInt8 = 0

    mutating func op(_ code: UInt8) { bytes.append(code) }
    mutating func op(_ character: Character) { bytes.append(character.asciiValue!) }

    mutating func string(_ text: String) {
        op("X")
        bytes += TestFiles.littleEndian(UInt32(text.utf8.count)) + Array(text.utf8)
    }

    mutating func global(_ module: String, _ name: String) {
        op("c")
        bytes += Array("\(module)\n\(name)\n".utf8)
    }

    mutating func int(_ value: Int) {
        if value >= 0 && value < 256 {
            bytes += [UInt8(ascii: "K"), UInt8(value)]
        } else {
            bytes.append(UInt8(ascii: "J"))
            bytes += TestFiles.littleEndian(Int32(value))
        }
    }

    mutating func tuple(_ values: [Int]) {
        op("(")
        for value in values { int(value) }
        op("t")
    }

    /// `OrderedDict()` then a MARK for SETITEMS.
    mutating func beginStateDict() {
        global("collections", "OrderedDict")
        op(")")
        op("R")
        op("(")
    }

    mutating func tensor(
        name: String, storageType: String = "FloatStorage", key: String, numel: Int, offset: Int = 0,
        shape: [Int], strides: [Int]
    ) {
        string(name)
        global("torch._utils", "_rebuild_tensor_v2")
        op("(")
        op("(")
        string("storage")
        global("torch", storageType)
        string(key)
        string("cpu")
        int(numel)
        op("t")
        op("Q")
        int(offset)
        tuple(shape)
        tuple(strides)
        op(0x89)
        global("collections", "OrderedDict")
        op(")")
        op("R")
        op("t")
        op("R")
    }

    /// The `_rebuild_tensor_v2(...)` call alone (no name), for wrapping in other calls.
    static func tensorOnly(key: String, numel: Int, shape: [Int], strides: [Int]) -> [UInt8] {
        var builder = PickleBuilder()
        builder.bytes = []
        builder.tensor(name: "", key: key, numel: numel, shape: shape, strides: strides)
        return Array(builder.bytes.dropFirst(5))  // drop the name's BINUNICODE (opcode, 4-byte length, no text)
    }

    mutating func endStateDict() {
        op("u")
        op(".")
    }
}

/// Builds zip archives with stored entries, laid out like torch's (archive folder prefix, 64-byte aligned data).
struct ZipBuilder {
    struct Entry {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 0
        var crcOverride: UInt32?
    }

    var entries: [Entry] = []
    /// Writes the sizes and offset of every central entry as 0xFFFFFFFF with a zip64 extra field.
    var zip64ExtraFields = false

    mutating func add(_ name: String, _ data: [UInt8], method: UInt16 = 0) {
        entries.append(Entry(name: name, data: data, method: method))
    }

    func build() -> [UInt8] {
        var output: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let offset = output.count
            let crc = entry.crcOverride ?? crc32(entry.data)
            let name = Array(entry.name.utf8)
            // Pad the local extra field so the data starts on a 64-byte boundary, as torch does.
            let padding = (64 - (offset + 30 + name.count + 4) % 64) % 64
            var local: [UInt8] = le32(0x0403_4B50) + le16(20) + le16(0) + le16(entry.method) + le16(0) + le16(0)
            local += le32(crc) + le32(UInt32(entry.data.count)) + le32(UInt32(entry.data.count))
            local += le16(UInt16(name.count)) + le16(UInt16(4 + padding)) + name
            local += le16(0x4246) + le16(UInt16(padding)) + [UInt8](repeating: 0x5A, count: padding)
            output += local + entry.data

            var record: [UInt8] = le32(0x0201_4B50) + le16(45) + le16(45) + le16(0) + le16(entry.method)
            record += le16(0) + le16(0) + le32(crc)
            let extra: [UInt8] =
                zip64ExtraFields
                ? le16(1) + le16(24) + le64(UInt64(entry.data.count)) + le64(UInt64(entry.data.count))
                    + le64(UInt64(offset))
                : []
            let size32 = zip64ExtraFields ? 0xFFFF_FFFF : UInt32(entry.data.count)
            record += le32(size32) + le32(size32) + le16(UInt16(name.count)) + le16(UInt16(extra.count)) + le16(0)
            record += le16(0) + le16(0) + le32(0) + le32(zip64ExtraFields ? 0xFFFF_FFFF : UInt32(offset)) + name + extra
            central += record
        }
        let directoryOffset = output.count
        output += central
        output += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
        output += le32(UInt32(central.count)) + le32(UInt32(directoryOffset)) + le16(0)
        return output
    }

    private func le16(_ value: UInt16) -> [UInt8] { TestFiles.littleEndian(value) }
    private func le32(_ value: UInt32) -> [UInt8] { TestFiles.littleEndian(value) }
    private func le64(_ value: UInt64) -> [UInt8] { TestFiles.littleEndian(value) }
}

/// Bitwise CRC-32, independent of the module's table-driven one so each checks the other.
func crc32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return crc ^ 0xFFFF_FFFF
}

/// A small torch-style checkpoint: `w` (2x3 F32, contiguous), `wT` (its transpose, a strided view of the same
/// storage), `b` (a slice of a second storage at offset 1), `ids` (I64).
func makeCheckpoint(prefix: String = "model", pickle: [UInt8]? = nil, edit: (inout ZipBuilder) -> Void = { _ in })
    -> [UInt8]
{
    var builder = PickleBuilder()
    builder.beginStateDict()
    builder.tensor(name: "w", key: "0", numel: 6, shape: [2, 3], strides: [3, 1])
    builder.tensor(name: "wT", key: "0", numel: 6, shape: [3, 2], strides: [1, 3])
    builder.tensor(name: "b", storageType: "DoubleStorage", key: "1", numel: 4, offset: 1, shape: [2], strides: [1])
    builder.tensor(name: "ids", storageType: "LongStorage", key: "2", numel: 3, shape: [3], strides: [1])
    builder.endStateDict()

    var zip = ZipBuilder()
    zip.add("\(prefix)/data.pkl", pickle ?? builder.bytes)
    zip.add("\(prefix)/byteorder", Array("little".utf8))
    zip.add(
        "\(prefix)/data/0", [Float](arrayLiteral: 1, 2, 3, 4, 5, 6).flatMap { TestFiles.littleEndian($0.bitPattern) })
    zip.add(
        "\(prefix)/data/1", [Double](arrayLiteral: 10, 11, 12, 13).flatMap { TestFiles.littleEndian($0.bitPattern) })
    zip.add("\(prefix)/data/2", [Int64](arrayLiteral: -1, 0, 50).flatMap { TestFiles.littleEndian($0) })
    zip.add("\(prefix)/version", Array("3\n".utf8))
    edit(&zip)
    return zip.build()
}
