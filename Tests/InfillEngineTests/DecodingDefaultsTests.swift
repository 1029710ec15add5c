import Foundation
import SEDDModel
import Tokenizers
import XCTest

@testable import InfillEngine

/// A model's decoding comes from its config (`sedd.decoding`), else the reference's draws; a request
/// overrides it; a config naming values outside the accepted ones is refused at load, naming the key.
final class DecodingDefaultsTests: XCTestCase {
    func testConfigDecodingIsTheDefaultAndARequestOverridesIt() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let reference = InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
        XCTAssertEqual(reference.defaultTemperature, 1)
        XCTAssertEqual(reference.defaultUnmasking, .random)

        let decoding = SEDDExtras.Decoding(temperature: 0, unmasking: "confident")
        let network = TinyCodeModel.engineParts(tokenizer: tokenizer, extras: SEDDExtras(tokenizer: "gpt2", decoding: decoding))
        let engine = InfillEngine(network: network, tokenizer: tokenizer, name: "t")
        XCTAssertEqual(engine.defaultTemperature, 0)
        XCTAssertEqual(engine.defaultUnmasking, .confident)

        // At temperature 1 the seed decides the fill; the config's greedy decoding makes seeds agree
        // far more often (only the reveal order's rounding still draws).
        func fills(_ temperature: Double?, _ unmasking: Unmasking?) throws -> Set<String> {
            var out = Set<String>()
            for seed in 0..<6 as Range<UInt64> {
                let request = InfillRequest(
                    segments: ["let a = bar(", ")\n"], holeTokens: [3], steps: 1, temperature: temperature, unmasking: unmasking,
                    seed: seed, healEdges: false)
                out.insert(try engine.infill(request).candidates[0].fills[0])
            }
            return out
        }
        XCTAssertLessThan(try fills(nil, nil).count, try fills(1, .random).count, "the config's decoding applies when a request names none")
        XCTAssertThrowsError(try engine.infill(InfillRequest(segments: ["a", "b"], holeTokens: [2], temperature: 2.5)))
    }

    /// `contextRefresh` from the config unless a request names one; the passes that ran on the hole
    /// only are reported (on the fused bf16 path, the only one that reuses the context).
    func testContextRefreshIsTheConfigsUnlessARequestNamesOne() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let decoding = SEDDExtras.Decoding(contextRefresh: 4)
        let network = TinyCodeModel.engineParts(tokenizer: tokenizer, extras: SEDDExtras(tokenizer: "gpt2", decoding: decoding))
        let engine = InfillEngine(network: network, tokenizer: tokenizer, name: "t")
        XCTAssertEqual(engine.defaultContextRefresh, 4)
        func run(_ refresh: Int?) throws -> InfillStageTimes {
            try engine.infill(
                InfillRequest(segments: ["let a = bar(", ")\n"], holeTokens: [8], steps: 8, contextRefresh: refresh, seed: 1)
            ).stages
        }
        let reference = try run(1)
        XCTAssertEqual(reference.holeOnlyPasses, 0, "refresh 1: every pass in full")
        let cached = try run(nil)
        XCTAssertEqual(
            cached.holeOnlyPasses > 0, network.precision == .bf16,
            "the config's refresh of 4 applies on the bf16 path (\(network.precision) here), and only there")
        XCTAssertLessThan(cached.holeOnlyPasses, cached.forwardPasses, "the first pass is always full")
        XCTAssertEqual(try run(1).holeOnlyPasses, 0, "a later request's own refresh of 1 is not the previous request's")
        XCTAssertThrowsError(try engine.infill(InfillRequest(segments: ["a", "b"], holeTokens: [2], contextRefresh: 0))) { error in
            XCTAssertTrue("\(error)".contains("contextRefresh"), "\(error)")
        }
    }

    func testAConfigWithAnUnknownDecodingIsRefusedNamingTheKey() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        for (decoding, key) in [
            (SEDDExtras.Decoding(temperature: 3), "sedd.decoding.temperature"),
            (SEDDExtras.Decoding(unmasking: "greedy"), "sedd.decoding.unmasking"),
            (SEDDExtras.Decoding(contextRefresh: 0), "sedd.decoding.contextRefresh"),
        ] {
            let directory = TinyCodeModel.temporaryDirectory()
            let network = TinyCodeModel.engineParts(tokenizer: tokenizer, extras: SEDDExtras(tokenizer: "gpt2", decoding: decoding))
            try ModelDirectory.save(network, to: directory)
            try tokenizer.save(to: directory)
            XCTAssertThrowsError(try InfillEngine.load(modelDirectory: directory)) { error in
                XCTAssertTrue("\(error)".contains(key), "\(error)")
            }
        }
    }
}
