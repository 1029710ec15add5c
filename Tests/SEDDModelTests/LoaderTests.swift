import Foundation
import SEDDKernels
@testable import SEDDModel
import TensorFiles
import XCTest

/// Strict loading: every malformed model directory gets an error naming the file and the key.
final class LoaderTests: XCTestCase {
    let config = TestModels.config()

    func writeDirectory(_ body: (SafetensorsWriter, ParameterStore) throws -> Void) throws -> URL {
        let dir = TestModels.temporaryDirectory()
        try config.jsonData().write(to: dir.appendingPathComponent("config.json"))
        let net = TestModels.network(config)
        let writer = SafetensorsWriter(destination: dir.appendingPathComponent("model.safetensors"))
        try body(writer, net.parameters)
        try writer.write()
        return dir
    }

    func addAll(_ w: SafetensorsWriter, _ s: ParameterStore, except: String? = nil, encoding: SafetensorsWriter.FloatEncoding = .f32) throws {
        for e in s.table.entries where e.name != except { try w.add(e.name, shape: e.shape, floats: s.values(e.name), as: encoding) }
    }

    func assertError(_ dir: URL, _ contains: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelDirectory.load(dir), file: file, line: line) { error in
            let text = "\(error)"
            for c in contains { XCTAssertTrue(text.contains(c), "'\(text)' should mention '\(c)'", file: file, line: line) }
        }
    }

    func testRoundTripAndRotaryBufferIgnored() throws {
        let dir = try writeDirectory { w, s in
            try addAll(w, s)
            try w.add("rotary_emb.inv_freq", shape: [4], floats: [9, 9, 9, 9])
        }
        let net = try ModelDirectory.load(dir)
        XCTAssertTrue(net.parameters.buffer.array == TestModels.network(config).parameters.buffer.array, "weights differ after a round trip")
    }

    func testMissingTensor() throws {
        let dir = try writeDirectory { w, s in try addAll(w, s, except: "blocks.1.mlp.0.bias") }
        assertError(dir, ["model.safetensors", "blocks.1.mlp.0.bias", "missing", "[128]"])
    }

    func testExtraTensor() throws {
        let dir = try writeDirectory { w, s in
            try addAll(w, s)
            try w.add("blocks.9.norm1.weight", shape: [32], floats: [Float](repeating: 1, count: 32))
        }
        assertError(dir, ["blocks.9.norm1.weight", "unexpected"])
    }

    func testWrongShape() throws {
        let dir = try writeDirectory { w, s in
            try addAll(w, s, except: "output_layer.linear.bias")
            try w.add("output_layer.linear.bias", shape: [40], floats: [Float](repeating: 0, count: 40))
        }
        assertError(dir, ["output_layer.linear.bias", "[40]", "[41]"])
    }

    func testIntegerDtypeRejected() throws {
        let dir = try writeDirectory { w, s in
            try addAll(w, s, except: "blocks.0.norm1.weight")
            try w.add("blocks.0.norm1.weight", shape: [32], int64s: [Int64](repeating: 1, count: 32))
        }
        assertError(dir, ["blocks.0.norm1.weight", "I64"])
    }

    func testHalfPrecisionWeightsLoadWidened() throws {
        for encoding in [SafetensorsWriter.FloatEncoding.bf16, .f16] {
            let dir = try writeDirectory { w, s in try addAll(w, s, encoding: encoding) }
            let net = try ModelDirectory.load(dir)
            let ref = TestModels.network(config).parameters.buffer.array
            let got = net.parameters.buffer.array
            for i in stride(from: 0, to: ref.count, by: 97) { XCTAssertEqual(got[i], ref[i], accuracy: abs(ref[i]) / 128 + 1e-6) }
        }
    }

    func testTruncatedWeights() throws {
        let dir = try writeDirectory { w, s in try addAll(w, s) }
        let url = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count / 2).write(to: url)
        assertError(dir, ["model.safetensors"])
    }

    func testNoWeightsFile() throws {
        let dir = TestModels.temporaryDirectory()
        try config.jsonData().write(to: dir.appendingPathComponent("config.json"))
        assertError(dir, ["model.safetensors", "pytorch_model.bin"])
    }

    func testConfigErrorsNameTheKey() throws {
        let cases: [(String, [String])] = [
            (#"{"tokens": 50, "graph": {"type": "zigzag"}, "model": {}}"#, ["graph.type", "zigzag", "absorb, uniform"]),
            (#"{"tokens": 50, "graph": {"type": "absorb"}, "model": {"hidden_size": "big"}}"#, ["model.hidden_size", "integer"]),
            (#"{"tokens": 50, "graph": {"type": "absorb"}, "noise": {"type": "cosine"}, "model": {}}"#, ["noise.type", "cosine"]),
            (#"{"tokens": 50, "graph": {"type": "absorb"}, "model": {"hidden_size": 64, "cond_dim": 8, "n_heads": 5, "n_blocks": 1}}"#, ["model.n_heads", "divide"]),
            (#"{"tokens": 50, "graph": {"type": "uniform"}, "model": {"hidden_size": 64, "cond_dim": 8, "n_heads": 4, "n_blocks": 1, "scale_by_sigma": true}}"#, ["scale_by_sigma", "absorb"]),
            (#"[1, 2]"#, ["not a JSON object"]),
            (#"{"graph": {"type": "absorb"}}"#, ["tokens", "missing"]),
        ]
        for (json, expected) in cases {
            XCTAssertThrowsError(try SEDDConfig.decode(Data(json.utf8), source: "config.json")) { error in
                let text = "\(error)"
                for e in expected { XCTAssertTrue(text.contains(e), "'\(text)' should mention '\(e)'") }
            }
        }
    }

    func testReferenceConfigDecodesAndRoundTrips() throws {
        let url = ParityTests.fixtures.appendingPathComponent("absorb.config.json")
        let c = try SEDDConfig.load(from: url)
        XCTAssertEqual(c.vocabularySize, 51)
        XCTAssertEqual(c.maskID, 50)
        XCTAssertEqual(c.hiddenSize, 64)
        XCTAssertEqual(try SEDDConfig.decode(c.jsonData(), source: "x"), c)
    }
}
