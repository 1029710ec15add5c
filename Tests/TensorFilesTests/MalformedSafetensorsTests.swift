import Foundation
import XCTest

@testable import TensorFiles

/// A catalogue of broken safetensors files, each rejected with its own error case and a message naming the file.
final class MalformedSafetensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestFiles.scratchDirectory(for: self)
    }

    /// Two F32 tensors: `a` [2] at [0, 8), `b` [3] at [8, 20).
    private func validFile() -> [UInt8] {
        let header =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}}"#
        return TestFiles.safetensors(header: header, data: [UInt8](repeating: 0x3F, count: 20))
    }

    private func check(
        _ bytes: [UInt8], _ label: String, line: UInt = #line, matches: (TensorFileError) -> Bool
    ) throws {
        let url = try TestFiles.write(
            bytes, named: "bad-\(label.replacingOccurrences(of: " ", with: "-")).safetensors",
            in: directory)
        assertTensorFileError(try SafetensorsFile(url: url), names: url, label, line: line, matches: matches)
        assertTensorFileError(try openTensorArchive(at: url), names: url, label + " (open)", line: line) { _ in true }
    }

    private func header(_ json: String, dataCount: Int = 20) -> [UInt8] {
        TestFiles.safetensors(header: json, data: [UInt8](repeating: 0, count: dataCount))
    }

    func testTheValidBaseFileOpens() throws {
        let url = try TestFiles.write(validFile(), named: "good.safetensors", in: directory)
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.tensorNames, ["a", "b"])
        XCTAssertEqual(try file.byteRange("b").count, 12)
    }

    func testTruncatedAtSeveralPoints() throws {
        let bytes = validFile()
        let headerEnd = bytes.count - 20
        for cut in [0, 3, 7] {
            try check(Array(bytes[0..<cut]), "cut \(cut)") { error in
                if case .truncated(_, _, 8, cut) = error { return true }
                return false
            }
        }
        for cut in [8, 9, headerEnd - 1] {
            try check(Array(bytes[0..<cut]), "cut \(cut)") { error in
                if case .headerLengthBeyondFile(_, UInt64(headerEnd - 8), cut) = error { return true }
                return false
            }
        }
        try check(Array(bytes[0..<(headerEnd + 10)]), "cut inside b") { error in
            if case .offsetsOutOfBounds(_, "b", 8, 20, 10) = error { return error.description.contains("\"b\"") }
            return false
        }
        try check(Array(bytes[0..<headerEnd]), "cut before data") { error in
            if case .offsetsOutOfBounds(_, "a", 0, 8, 0) = error { return true }
            return false
        }
    }

    func testHeaderLengthTooBig() throws {
        var bytes = validFile()
        bytes.replaceSubrange(0..<8, with: TestFiles.littleEndian(UInt64(bytes.count)))
        try check(bytes, "length beyond file") { error in
            if case .headerLengthBeyondFile = error { return true }
            return false
        }
        bytes.replaceSubrange(0..<8, with: TestFiles.littleEndian(UInt64.max))
        try check(bytes, "length huge") { error in
            if case .headerTooLarge(_, UInt64.max, 100_000_000) = error { return true }
            return false
        }
    }

    func testHeaderNotJSON() throws {
        let cases = [
            ("not json", "definitely not json"),
            ("unterminated", #"{"a":{"dtype":"F32""#),
            ("trailing comma", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},}"#),
            (
                "duplicate key",
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
            ),
            ("garbage after", #"{} x"#),
            ("array", "[1,2]"),
            ("bad utf8", "{\"\u{FFFD}\":1}"),
        ]
        for (label, json) in cases {
            var bytes = header(json)
            if label == "bad utf8" {
                let index = bytes.firstIndex(of: 0xEF)!
                bytes.replaceSubrange(index..<(index + 3), with: [0xC3, 0x28, 0x20])  // invalid two-byte sequence
            }
            try check(bytes, label) { error in
                if case .invalidHeaderJSON = error { return true }
                return false
            }
        }
    }

    func testOffsetsOverlappingOutsideAndMisSized() throws {
        try check(
            header(
                #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}}"#
            ), "overlap"
        ) { error in
            if case .offsetsOverlap(_, "b", "a", 8, 12) = error { return true }
            return false
        }
        try check(
            header(
                #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}}"#
            ), "gap"
        ) { error in
            if case .offsetsGap(_, "b", 8, 4) = error { return true }
            return false
        }
        try check(
            header(
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[300],"data_offsets":[8,1208]}}"#
            ), "outside"
        ) { error in
            if case .offsetsOutOfBounds(_, "b", 8, 1208, 20) = error { return true }
            return false
        }
        try check(
            header(
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[3],"data_offsets":[8,20]}}"#
            ), "mis-sized"
        ) { error in
            if case .sizeMismatch(_, "b", 24, 12) = error { return true }
            return false
        }
        try check(header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#), "reversed") { error in
            if case .invalidTensorEntry(_, "a", _) = error { return true }
            return false
        }
        try check(header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#), "trailing data") { error in
            if case .trailingData(_, 8, 20) = error { return true }
            return false
        }
    }

    func testUnknownDTypeAndBadFields() throws {
        try check(header(#"{"a":{"dtype":"F8_E4M3","shape":[20],"data_offsets":[0,20]}}"#), "unknown dtype") { error in
            if case .unknownDType(_, "a", "F8_E4M3") = error { return error.description.contains("BF16") }
            return false
        }
        let badEntries = [
            ("negative dim", #"{"a":{"dtype":"U8","shape":[-20],"data_offsets":[0,20]}}"#),
            ("fractional dim", #"{"a":{"dtype":"U8","shape":[20.0],"data_offsets":[0,20]}}"#),
            ("missing shape", #"{"a":{"dtype":"U8","data_offsets":[0,20]}}"#),
            ("extra field", #"{"a":{"dtype":"U8","shape":[20],"data_offsets":[0,20],"x":1}}"#),
            ("three offsets", #"{"a":{"dtype":"U8","shape":[20],"data_offsets":[0,20,20]}}"#),
            ("entry not object", #"{"a":[1]}"#),
        ]
        for (label, json) in badEntries {
            try check(header(json), label) { error in
                if case .invalidTensorEntry(_, "a", _) = error { return true }
                return false
            }
        }
        try check(
            header(#"{"__metadata__":{"k":1},"a":{"dtype":"U8","shape":[20],"data_offsets":[0,20]}}"#), "metadata"
        ) { error in
            if case .invalidMetadata = error { return error.description.contains("\"k\"") }
            return false
        }
    }

    func testHeaderMustStartWithABrace() throws {
        try check(header(#" {"a":{"dtype":"U8","shape":[20],"data_offsets":[0,20]}}"#), "leading space") { error in
            if case .invalidHeaderJSON = error { return true }
            return false
        }
    }

    func testUnreadableFileNamesThePath() throws {
        let missing = directory.appendingPathComponent("absent.safetensors")
        assertTensorFileError(try openTensorArchive(at: missing), names: missing, "absent") { error in
            if case .cannotOpen = error { return true }
            return false
        }
        assertTensorFileError(try openTensorArchive(at: directory), names: directory, "directory") { error in
            if case .cannotOpen = error { return true }
            return false
        }
    }
}
