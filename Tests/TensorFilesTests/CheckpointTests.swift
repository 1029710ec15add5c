import Foundation
import XCTest

@testable import TensorFiles

/// Torch zip checkpoints built in the test: strided views, shared storages, zip64 fields, and a catalogue of
/// malformed archives and pickles.
final class CheckpointTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestFiles.scratchDirectory(for: self)
    }

    private func write(_ bytes: [UInt8], _ label: String) throws -> URL {
        try TestFiles.write(bytes, named: "\(label.replacingOccurrences(of: " ", with: "-")).bin", in: directory)
    }

    private func check(
        _ bytes: [UInt8], _ label: String, line: UInt = #line, matches: (TensorFileError) -> Bool
    ) throws {
        let url = try write(bytes, label)
        assertTensorFileError(try TorchCheckpointFile(url: url), names: url, label, line: line, matches: matches)
    }

    func testViewsSharedStoragesAndDTypes() throws {
        for zip64 in [false, true] {
            let url = try write(makeCheckpoint { $0.zip64ExtraFields = zip64 }, "good-\(zip64)")
            let archive = try openTensorArchive(at: url)
            XCTAssertTrue(archive is TorchCheckpointFile)
            XCTAssertEqual(archive.tensorNames, ["w", "wT", "b", "ids"])
            XCTAssertEqual(try archive.info("wT"), TensorInfo(dtype: .f32, shape: [3, 2]))
            XCTAssertEqual(try archive.readFloat32("w"), [1, 2, 3, 4, 5, 6])
            XCTAssertEqual(try archive.readFloat32("wT"), [1, 4, 2, 5, 3, 6], "transposed view materialised")
            XCTAssertEqual(try archive.readFloat64("b"), [11, 12], "storage offset honoured")
            XCTAssertEqual(try archive.readInt64("ids"), [-1, 0, 50])
            XCTAssertEqual(try archive.withRawData("b") { bytes, _ in bytes.count }, 16)
            assertTensorFileError(try archive.withRawData("wT") { _, _ in 0 }, names: url, "raw view") { error in
                if case .nonContiguous(_, "wT", [3, 2], [1, 3]) = error { return true }
                return false
            }
        }
    }

    /// Hub checkpoints pickle the state_dict's `_metadata` attribute with BUILD, and whole-module saves wrap
    /// tensors in `_rebuild_parameter`; both must load.
    func testMetadataBuildAndParameterWrapper() throws {
        var pickle = PickleBuilder()
        pickle.beginStateDict()
        pickle.string("p")
        pickle.global("torch._utils", "_rebuild_parameter")
        pickle.op("(")
        pickle.bytes += Array(PickleBuilder.tensorOnly(key: "0", numel: 6, shape: [6], strides: [1]))
        pickle.op(0x88)
        pickle.global("collections", "OrderedDict")
        pickle.op(")")
        pickle.op("R")
        pickle.op("t")
        pickle.op("R")
        pickle.op("u")
        // state = {"_metadata": OrderedDict({"": {"version": 1}})}
        pickle.op("}")
        pickle.string("_metadata")
        pickle.global("collections", "OrderedDict")
        pickle.op(")")
        pickle.op("R")
        pickle.string("")
        pickle.op("}")
        pickle.string("version")
        pickle.int(1)
        pickle.op("s")
        pickle.op("s")
        pickle.op("s")
        pickle.op("b")
        pickle.op(".")
        let url = try write(makeCheckpoint(pickle: pickle.bytes), "metadata-build")
        let archive = try TorchCheckpointFile(url: url)
        XCTAssertEqual(archive.tensorNames, ["p"])
        XCTAssertEqual(try archive.readFloat32("p"), [1, 2, 3, 4, 5, 6])
    }

    func testFixtureTruncatedAtSeveralPoints() throws {
        let bytes = Array(try Data(contentsOf: TestFiles.fixture("absorb.pytorch_model.bin")))
        for cut in [0, 21, 100, bytes.count / 2, bytes.count - 30, bytes.count - 1] {
            try check(Array(bytes[0..<cut]), "fixture cut \(cut)") { error in
                if case .corruptZip = error { return true }
                return false
            }
        }
    }

    func testBrokenCentralDirectory() throws {
        var bytes = Array(try Data(contentsOf: TestFiles.fixture("absorb.pytorch_model.bin")))
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let first = try XCTUnwrap((0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == signature })
        var broken = bytes
        broken[first + 2] = 0x09
        try check(broken, "central signature") { error in
            if case .corruptZip(_, let reason) = error { return reason.contains("central directory entry 0") }
            return false
        }
        // Point the first entry's local-header offset into the middle of a storage.
        bytes.replaceSubrange((first + 42)..<(first + 46), with: TestFiles.littleEndian(UInt32(5000)))
        try check(bytes, "local offset") { error in
            if case .corruptZip(_, let reason) = error { return reason.contains("no local header") }
            return false
        }
    }

    func testCompressedEntryAndChecksum() throws {
        try check(makeCheckpoint { $0.entries[2].method = 8 }, "deflated") { error in
            if case .unsupportedZipEntry(_, "model/data/0", _) = error { return error.description.contains("method 8") }
            return false
        }
        try check(makeCheckpoint { $0.entries[3].crcOverride = 0xDEAD_BEEF }, "crc") { error in
            if case .checksumMismatch(_, "model/data/1", 0xDEAD_BEEF, _) = error { return true }
            return false
        }
        let url = try write(makeCheckpoint { $0.entries[3].crcOverride = 0xDEAD_BEEF }, "crc-unchecked")
        XCTAssertEqual(try TorchCheckpointFile(url: url, verifyChecksums: false).readFloat64("b"), [11, 12])
    }

    func testMissingEntries() throws {
        try check(makeCheckpoint { $0.entries.removeAll { $0.name == "model/data/2" } }, "no storage") { error in
            if case .missingZipEntry(_, "model/data/2") = error { return true }
            return false
        }
        try check(makeCheckpoint { $0.entries.removeFirst() }, "no pickle") { error in
            if case .missingZipEntry = error { return error.description.contains("data.pkl") }
            return false
        }
        try check(makeCheckpoint { $0.entries[1].data = Array("big".utf8) }, "big endian") { error in
            if case .invalidCheckpoint(_, nil, let reason) = error { return reason.contains("byteorder") }
            return false
        }
    }

    func testPickleWithAnUnknownGlobalIsRefusedByName() throws {
        var pickle = PickleBuilder()
        pickle.global("os", "system")
        pickle.string("echo never")
        pickle.op(0x85)
        pickle.op("R")
        pickle.op(".")
        try check(makeCheckpoint(pickle: pickle.bytes), "os system") { error in
            if case .unsupportedPickleGlobal(_, "os.system", 2) = error { return true }
            return false
        }
        var storage = PickleBuilder()
        storage.beginStateDict()
        storage.tensor(name: "x", storageType: "QInt8Storage", key: "0", numel: 6, shape: [6], strides: [1])
        storage.endStateDict()
        try check(makeCheckpoint(pickle: storage.bytes), "qint8") { error in
            if case .unsupportedPickleGlobal(_, "torch.QInt8Storage", _) = error { return true }
            return false
        }
    }

    func testTruncatedAndMalformedPickles() throws {
        var full = PickleBuilder()
        full.beginStateDict()
        full.tensor(name: "w", key: "0", numel: 6, shape: [2, 3], strides: [3, 1])
        full.endStateDict()
        for cut in [1, 2, 20, full.bytes.count / 2, full.bytes.count - 1] {
            try check(makeCheckpoint(pickle: Array(full.bytes[0..<cut])), "pickle cut \(cut)") { error in
                if case .malformedPickle(_, let reason, _) = error { return reason.contains("ends") }
                return false
            }
        }
        try check(makeCheckpoint(pickle: [0x80, 0x02, UInt8(ascii: "i")]), "opcode") { error in
            if case .unsupportedPickleOpcode(_, UInt8(ascii: "i"), 2) = error { return true }
            return false
        }
        try check(makeCheckpoint(pickle: [0x80, 0x02, UInt8(ascii: "s"), UInt8(ascii: ".")]), "underflow") { error in
            if case .malformedPickle(_, let reason, 2) = error { return reason.contains("underflow") }
            return false
        }
        try check(makeCheckpoint(pickle: [0x80, 0x02, UInt8(ascii: "K"), 1, UInt8(ascii: ".")]), "not a dict") {
            error in
            if case .invalidCheckpoint(_, nil, let reason) = error { return reason.contains("state_dict") }
            return false
        }
    }

    func testViewsThatDoNotFitTheirStorage() throws {
        var pickle = PickleBuilder()
        pickle.beginStateDict()
        pickle.tensor(name: "w", key: "0", numel: 6, offset: 1, shape: [2, 3], strides: [3, 1])
        pickle.endStateDict()
        try check(makeCheckpoint(pickle: pickle.bytes), "view beyond") { error in
            if case .invalidCheckpoint(_, "w", let reason) = error { return reason.contains("reaches element 6") }
            return false
        }
        var sized = PickleBuilder()
        sized.beginStateDict()
        sized.tensor(name: "w", key: "0", numel: 7, shape: [7], strides: [1])
        sized.endStateDict()
        try check(makeCheckpoint(pickle: sized.bytes), "storage size") { error in
            if case .invalidCheckpoint(_, "w", let reason) = error { return reason.contains("24 bytes") }
            return false
        }
    }

    func testUnrecognisedFormats() throws {
        let legacy = try write([0x80, 0x02, 0x8A, 0x0A] + [UInt8](repeating: 0, count: 20), "legacy")
        assertTensorFileError(try openTensorArchive(at: legacy), names: legacy, "legacy") { error in
            if case .unrecognizedFormat = error { return true }
            return false
        }
        let text = try write(Array("hello, this is not a model".utf8), "text")
        assertTensorFileError(try openTensorArchive(at: text), names: text, "text") { error in
            if case .unrecognizedFormat = error { return true }
            return false
        }
    }
}
