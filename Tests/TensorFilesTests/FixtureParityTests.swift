import Foundation
import XCTest

@testable import TensorFiles

/// The reference fixtures: the torch.save checkpoint must equal its safetensors twin bit for bit.
final class FixtureParityTests: XCTestCase {
    func testOpenTensorArchiveChoosesTheReaderByContent() throws {
        let safetensors = try openTensorArchive(at: TestFiles.fixture("absorb.weights.safetensors"))
        let checkpoint = try openTensorArchive(at: TestFiles.fixture("absorb.pytorch_model.bin"))
        XCTAssertTrue(safetensors is SafetensorsFile)
        XCTAssertTrue(checkpoint is TorchCheckpointFile)
        XCTAssertEqual(safetensors.metadata["graph"], "absorb")
        XCTAssertEqual(checkpoint.metadata, [:])
    }

    func testEveryTensorIsEqualBitForBitBetweenTheTwoFormats() throws {
        let safetensors = try openTensorArchive(at: TestFiles.fixture("absorb.weights.safetensors"))
        let checkpoint = try openTensorArchive(at: TestFiles.fixture("absorb.pytorch_model.bin"))
        // Both orders are alphabetical here: offset order for safetensors, state_dict order as saved for torch.
        XCTAssertEqual(safetensors.tensorNames, checkpoint.tensorNames)
        XCTAssertEqual(safetensors.tensorNames.count, 31)
        XCTAssertTrue(safetensors.tensorNames.contains("vocab_embed.embedding"))
        XCTAssertEqual(try safetensors.info("vocab_embed.embedding"), TensorInfo(dtype: .f32, shape: [51, 64]))
        for name in safetensors.tensorNames {
            let info = try safetensors.info(name)
            XCTAssertEqual(try checkpoint.info(name), info, name)
            let expected = try safetensors.withRawData(name) { bytes, _ in Array(bytes) }
            let found = try checkpoint.withRawData(name) { bytes, _ in Array(bytes) }
            XCTAssertEqual(expected.count, info.byteCount, name)
            XCTAssertEqual(expected, found, "raw bytes of \(name)")
            let floats = try checkpoint.readFloat32(name).map(\.bitPattern)
            XCTAssertEqual(try safetensors.readFloat32(name).map(\.bitPattern), floats, name)
            XCTAssertEqual(try checkpoint.readFloat64(name), floats.map { Double(Float(bitPattern: $0)) }, name)
        }
    }

    func testReadFloat32IntoCallerMemoryChecksTheCount() throws {
        let url = try TestFiles.fixture("absorb.pytorch_model.bin")
        let checkpoint = try TorchCheckpointFile(url: url)
        let name = "output_layer.linear.bias"
        let count = try checkpoint.info(name).elementCount
        XCTAssertEqual(count, 51)
        var buffer = [Float](repeating: .nan, count: count)
        try buffer.withUnsafeMutableBufferPointer {
            try checkpoint.readFloat32(name, into: $0.baseAddress!, count: count)
        }
        XCTAssertEqual(buffer, try checkpoint.readFloat32(name))
        var short = [Float](repeating: 0, count: count - 1)
        assertTensorFileError(
            try short.withUnsafeMutableBufferPointer {
                try checkpoint.readFloat32(name, into: $0.baseAddress!, count: count - 1)
            }, names: url, "short buffer"
        ) { error in
            if case .countMismatch(_, name, 51, 50) = error { return true }
            return false
        }
    }

    func testWriterReproducesTheReferenceFileByteForByte() throws {
        let url = try TestFiles.fixture("absorb.weights.safetensors")
        let reference = try SafetensorsFile(url: url)
        let writer = SafetensorsWriter(destination: url, metadata: reference.metadata)
        for name in reference.tensorNames {
            let info = try reference.info(name)
            try writer.add(
                name, dtype: info.dtype, shape: info.shape, bytes: reference.withRawData(name) { b, _ in Array(b) })
        }
        XCTAssertEqual(writer.encoded(), Array(try Data(contentsOf: url)))
    }

    func testMissingTensorNamesFileAndKey() throws {
        for fixture in ["absorb.weights.safetensors", "absorb.pytorch_model.bin"] {
            let url = try TestFiles.fixture(fixture)
            let archive = try openTensorArchive(at: url)
            assertTensorFileError(try archive.readFloat32("blocks.9.nothing"), names: url, fixture) { error in
                if case .missingTensor(_, "blocks.9.nothing", 31) = error {
                    return error.description.contains("blocks.9.nothing")
                }
                return false
            }
        }
    }
}
