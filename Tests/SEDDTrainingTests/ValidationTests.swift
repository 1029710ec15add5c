import Foundation
import SEDDKernels
import SEDDModel
import Tokenizers
import XCTest

@testable import SEDDTraining

/// The validation loss during training must follow the EMA weights as they move, on every
/// precision (the bf16 path keeps its own weight copies).
final class ValidationTests: XCTestCase {
    func testValidationFollowsTheMovingEMAWeights() throws {
        for precision in Precision.allCases where precision == .fp32 || Precision.preferred == .bf16 {
            let saved = Precision.processDefault
            Precision.processDefault = precision
            defer { Precision.processDefault = saved }
            let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>"])
            var config = TinyModel.config(hidden: 16, blocks: 1, length: 32)
            config.tokens = tokenizer.vocabularySize
            config.extras = SEDDExtras(tokenizer: "bytes")
            let model = try TinyModel.directory(config)
            try tokenizer.save(to: model)
            let data = try CodeDataTests.jsonl(
                (0..<40).map { ("k\($0)", "swift", String(repeating: "let v\($0) = \($0)\n", count: 12)) })
            var o = TrainingOptions()
            o.steps = 1
            o.batch = 2
            o.length = 32
            o.validationFraction = 0.3
            let session = try TrainingSession(
                model: model, data: [data.path], out: TinyModel.temporaryDirectory("v"), options: o, resume: false)
            let first = try XCTUnwrap(session.validate())
            // Move the EMA weights by hand (the reference's init has a zero output layer, so perturb
            // every weight, not just scale them): the next validation must see them.
            let shadow = session.trainer.ema.shadow.buffer
            var rng = SeededRandom(seed: 9)
            for i in 0..<shadow.count { shadow[i] += Float(rng.nextGaussian()) * 0.2 }
            let second = try XCTUnwrap(session.validate())
            XCTAssertNotEqual(first, second, "\(precision): validation did not follow the EMA weights")
            let fresh = ELBOEvaluator(network: SEDDNetwork(config: session.trainer.network.config, parameters: session.trainer.ema.shadow), batch: o.batch)
            let expected = fresh.evaluate(blocks: session.validationBlocks, bytes: 0, samples: 1, seed: o.seed ^ 0x5EED_E7A1).natsPerToken
            XCTAssertEqual(second, expected, accuracy: 1e-9 * max(1, abs(expected)), "\(precision)")
        }
    }
}
