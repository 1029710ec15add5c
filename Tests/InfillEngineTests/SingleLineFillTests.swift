import Foundation
import SEDDModel
import Tokenizers
import XCTest

@testable import InfillEngine

/// `stop: "line"` keeps line breaks out of a fill while it is sampled (when the fill can end early
/// or takes its whole hole), so the line is complete rather than trimmed out of a longer fill.
/// The model here is made to love line feeds (its output bias), so the difference must show.
final class SingleLineFillTests: XCTestCase {
    func testAOneLineFillHoldsNoLineBreakYetIsNotEmpty() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let network = TinyCodeModel.engineParts(tokenizer: tokenizer)
        let breaks = tokenizer.lineBreakIDs()
        XCTAssertFalse(breaks.isEmpty)
        for id in breaks where id < network.config.vocabularySize {
            network.parameters.pointer("output_layer.linear.bias")[id] = 12
        }
        network.parametersDidChange()
        let engine = InfillEngine(network: network, tokenizer: tokenizer, name: "t")
        for fixedLength in [false, true] {
            for (temperature, unmasking) in [(0.0, Unmasking.confident), (1.0, .random)] {
                func fill(oneLine: Bool) throws -> String {
                    let request = InfillRequest(
                        segments: ["let foo = bar(", ")\n"], holeTokens: [6], steps: 8, temperature: temperature,
                        unmasking: unmasking, seed: 5, stopAtNewline: oneLine, healEdges: false, fixedLength: fixedLength)
                    return try engine.infill(request).candidates[0].fills[0]
                }
                let label = "fixed=\(fixedLength) T=\(temperature)"
                XCTAssertTrue(try fill(oneLine: false).contains("\n"), "\(label): the model's own fill breaks lines")
                let line = try fill(oneLine: true)
                XCTAssertFalse(line.contains("\n"), "\(label): '\(line)'")
                XCTAssertFalse(line.isEmpty, "\(label): the line is sampled, not trimmed away")
            }
        }
    }
}
