import Foundation
import SEDDModel
import Tokenizers
import XCTest

@testable import InfillEngine

/// A hole sized to its fill (`fixedLength`) never becomes padding; an ordinary hole may end early,
/// after at least one token.
/// The model here is made to love the padding (its output bias), so the difference must show.
final class FixedLengthTests: XCTestCase {
    func paddingLovingEngine() throws -> (InfillEngine, Int) {
        let tokenizer = try TinyCodeModel.tokenizer()
        let network = TinyCodeModel.engineParts(tokenizer: tokenizer)
        let pad = try XCTUnwrap(CodeLanguages.specialTokenIDs(tokenizer)[CodeLanguages.padding])
        network.parameters.pointer("output_layer.linear.bias")[pad] = 12
        network.parametersDidChange()
        return (InfillEngine(network: network, tokenizer: tokenizer, name: "t"), pad)
    }

    func testAFixedLengthFillTakesItsWholeHole() throws {
        let (engine, _) = try paddingLovingEngine()
        for (temperature, unmasking) in [(0.0, Unmasking.confident), (1.0, .random)] {
            func fill(fixed: Bool) throws -> String {
                let request = InfillRequest(
                    segments: ["let foo = bar(", ")\n"], holeTokens: [6], steps: 8, temperature: temperature, unmasking: unmasking,
                    seed: 3, healEdges: false, fixedLength: fixed)
                return try engine.infill(request).candidates[0].fills[0]
            }
            // An ordinary hole: one token of fill (a fill is never empty, `PaddingRun`), then the pads.
            let padded = try fill(fixed: false), full = try fill(fixed: true)
            XCTAssertEqual(engine.tokenizer.encode(padded).count, 1, "T=\(temperature): a padding-loving model pads all it may: '\(padded)'")
            XCTAssertGreaterThan(engine.tokenizer.encode(full).count, 3, "T=\(temperature): a fixed-length hole is filled: '\(full)'")
        }
    }

    func testTheSamplerNeverMovesToAnExcludedToken() throws {
        let (engine, pad) = try paddingLovingEngine()
        let sampler = DiffusionSampler(network: engine.network)
        let L = 24
        let ws = ForwardWorkspace(config: engine.network.config, batch: 2, length: L)
        let fixed = FixedTokens(positions: Array(0..<4), tokens: [5, 6, 7, 8])
        for predictor in [Predictor.analytic, .euler] {
            for (temperature, unmasking) in [(1.0, Unmasking.random), (0.0, .confident), (0.5, .random)] {
                func sample(excluding: [Int]) -> [[Int]] {
                    let options = SamplingOptions(
                        steps: 6, predictor: predictor, temperature: temperature, unmasking: unmasking)
                    let rules = FillRules(excluded: excluding, paddingRun: nil)
                    return sampler.sample(ws: ws, options: options, fixed: [fixed, fixed], seeds: [1, 2], constraint: rules)!
                }
                let free = sample(excluding: []).flatMap { $0 }
                XCTAssertGreaterThan(free.filter { $0 == pad }.count, L, "\(predictor), T=\(temperature): the padding wins unexcluded")
                let constrained = sample(excluding: [pad]).flatMap { $0 }
                XCTAssertFalse(constrained.contains(pad), "\(predictor), T=\(temperature): \(constrained)")
                XCTAssertFalse(constrained.contains(engine.network.config.maskID!), "every position still ends revealed")
            }
        }
    }
}
