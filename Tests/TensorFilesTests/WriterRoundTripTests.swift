import Foundation
import XCTest

@testable import TensorFiles

/// Writing then reading gives back every dtype's bytes, shapes and converted values.
final class WriterRoundTripTests: XCTestCase {
    func testEveryDTypeRoundTripsThroughAFile() throws {
        let directory = try TestFiles.scratchDirectory(for: self)
        let url = directory.appendingPathComponent("all.safetensors")
        let writer = SafetensorsWriter(destination: url, metadata: ["what": "round trip", "quote\"key": "line\nbreak"])
        var generator = SystemRandomNumberGenerator()
        var expected: [(String, DType, [Int], [UInt8])] = []
        for (index, dtype) in DType.allCases.enumerated() {
            // Odd shapes so offsets land unaligned for the wider types; a scalar and an empty tensor too.
            for shape in [[3, 5], [], [0, 4], [7]] {
                let count = shape.reduce(1, *) * dtype.byteSize
                var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if dtype == .bool { bytes = bytes.map { $0 & 1 } }
                let name = "t\(index).\(dtype.rawValue).\(shape.count)_\(shape.first ?? -1)"
                try writer.add(name, dtype: dtype, shape: shape, bytes: bytes)
                expected.append((name, dtype, shape, bytes))
            }
        }
        try writer.write()
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.metadata, ["what": "round trip", "quote\"key": "line\nbreak"])
        XCTAssertEqual(file.dataSectionOffset % 8, 0, "header padded to a multiple of 8")
        XCTAssertEqual(file.tensorNames, expected.map(\.0), "names in offset order, which is insertion order")
        for (name, dtype, shape, bytes) in expected {
            XCTAssertEqual(try file.info(name), TensorInfo(dtype: dtype, shape: shape), name)
            XCTAssertEqual(try file.withRawData(name) { raw, _ in Array(raw) }, bytes, name)
        }
    }

    func testTypedWritersAndReadersAgree() throws {
        let directory = try TestFiles.scratchDirectory(for: self)
        let url = directory.appendingPathComponent("typed.safetensors")
        let floats: [Float] = [0, -0.0, 1, -1.5, 3.1415927, 1e-8, 7e4, .infinity, -.infinity, 1 + 0x1p-9, 0x1p-24]
        let doubles: [Double] = [0.1, -1e300, .pi, .leastNonzeroMagnitude]
        let ids: [Int64] = [-9_223_372_036_854_775_808, -1, 0, 50, 9_223_372_036_854_775_807]
        let writer = SafetensorsWriter(destination: url)
        try writer.add("f32", shape: [floats.count], floats: floats)
        try writer.add("bf16", shape: [floats.count], floats: floats, as: .bf16)
        try writer.add("f16", shape: [floats.count], floats: floats, as: .f16)
        try writer.add("f64", shape: [2, 2], doubles: doubles)
        try writer.add("i64", shape: [5], int64s: ids)
        try writer.add(
            "i32", dtype: .i32, shape: [2], bytes: TestFiles.littleEndian(Int32(-7)) + TestFiles.littleEndian(Int32.max)
        )
        try writer.add("i16", dtype: .i16, shape: [1], bytes: TestFiles.littleEndian(Int16(-300)))
        try writer.add("i8", dtype: .i8, shape: [2], bytes: [0x80, 0x7F])
        try writer.add("u8", dtype: .u8, shape: [2], bytes: [0xFF, 0x01])
        try writer.add("bool", dtype: .bool, shape: [2], bytes: [1, 0])
        try writer.write()

        let file = try openTensorArchive(at: url)
        XCTAssertEqual(try file.readFloat32("f32").map(\.bitPattern), floats.map(\.bitPattern))
        XCTAssertEqual(
            try file.readFloat32("bf16").map(\.bitPattern),
            floats.map { HalfPrecision.float(fromBF16Bits: HalfPrecision.bf16Bits(from: $0)).bitPattern })
        XCTAssertEqual(
            try file.readFloat32("f16").map(\.bitPattern),
            floats.map { HalfPrecision.float(fromF16Bits: HalfPrecision.f16Bits(from: $0)).bitPattern })
        XCTAssertEqual(try file.readFloat32("f16")[6], .infinity, "7e4 overflows binary16")
        XCTAssertEqual(try file.readFloat32("bf16")[1].sign, .minus)
        XCTAssertEqual(try file.readFloat64("f64"), doubles)
        XCTAssertEqual(try file.readFloat32("f64"), doubles.map { Float($0) }, "f64 narrowed with rounding")
        XCTAssertEqual(try file.readFloat64("bf16"), try file.readFloat32("bf16").map { Double($0) })
        XCTAssertEqual(try file.readInt64("i64"), ids)
        XCTAssertEqual(try file.readInt("i32"), [-7, Int(Int32.max)])
        XCTAssertEqual(try file.readInt("i16"), [-300])
        XCTAssertEqual(try file.readInt("i8"), [-128, 127])
        XCTAssertEqual(try file.readInt("u8"), [255, 1])
        XCTAssertEqual(try file.readInt64("bool"), [1, 0])

        assertTensorFileError(try file.readFloat32("i64"), names: url, "int as float") { error in
            if case .wrongDType(_, "i64", _, .i64) = error { return true }
            return false
        }
        assertTensorFileError(try file.readInt64("f32"), names: url, "float as int") { error in
            if case .wrongDType(_, "f32", _, .f32) = error { return true }
            return false
        }
    }

    func testWriterRejectsInconsistentInput() throws {
        let url = URL(fileURLWithPath: "never-written.safetensors")
        let writer = SafetensorsWriter(destination: url)
        try writer.add("a", shape: [2], floats: [1, 2])
        assertTensorFileError(try writer.add("a", shape: [1], floats: [1]), names: url, "duplicate") { error in
            if case .invalidWriterInput(_, "a", _) = error { return true }
            return false
        }
        assertTensorFileError(try writer.add("b", shape: [3], floats: [1, 2]), names: url, "count") { error in
            if case .invalidWriterInput(_, "b", _) = error { return true }
            return false
        }
        assertTensorFileError(try writer.add("__metadata__", shape: [1], floats: [1]), names: url, "reserved") {
            error in
            if case .invalidWriterInput(_, "__metadata__", _) = error { return true }
            return false
        }
        XCTAssertEqual(writer.tensors.map(\.name), ["a"])
    }

    func testHeaderLayoutMatchesTheReference() {
        let writer = SafetensorsWriter(destination: URL(fileURLWithPath: "x.safetensors"), metadata: ["k": "v"])
        try? writer.add("x", shape: [1], floats: [2])
        let bytes = writer.encoded()
        let json = #"{"__metadata__":{"k":"v"},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let padded = json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
        XCTAssertEqual(bytes.count, 8 + padded.utf8.count + 4)
        XCTAssertEqual(Array(bytes[0..<8]), TestFiles.littleEndian(UInt64(padded.utf8.count)))
        XCTAssertEqual(String(decoding: bytes[8..<(8 + padded.utf8.count)], as: UTF8.self), padded)
    }
}
