import Foundation
@testable import InfillEngine
import Tokenizers
import XCTest

/// A hole sized to hold a known text must count the context pieces healing moves into it.
final class HealedHoleSizeTests: XCTestCase {
    func engine() throws -> InfillEngine {
        let tokenizer = try TinyCodeModel.tokenizer()
        return InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
    }

    func testACutInsideAWordCountsTheWholeWord() throws {
        let engine = try engine(), tokens = { engine.tokenizer.encode($0).count }
        let size = engine.holeTokens(holding: "utdown()", after: "try await gracefulSh", before: "\n")
        XCTAssertEqual(size, tokens(" gracefulShutdown()"))
        XCTAssertNotEqual(size, tokens("utdown()"), "the example must tell the two sizes apart")

        // Inside a word on both sides: the suffix's piece is held too.
        XCTAssertEqual(engine.holeTokens(holding: "Shut", after: "let graceful", before: "down = 1\n"), tokens(" gracefulShutdown"))
    }

    func testNothingToHealKeepsTheTextsOwnSize() throws {
        let engine = try engine(), tokens = { engine.tokenizer.encode($0).count }
        XCTAssertEqual(engine.holeTokens(holding: "value, other)", after: "print(", before: "\n"), tokens("value, other)"))
    }

    func testTheSizeIsOneTheEngineHealsAlike() throws {
        let engine = try engine()
        // A one-token hole heals nothing, so the space before it stays in the context: one token.
        XCTAssertEqual(engine.holeTokens(holding: "x", after: "let y = ", before: ";\n"), 1)
        // Whatever the size, laying the hole out with it heals the pieces that size was counted with.
        for (prefix, text, suffix) in [("try await gracefulSh", "utdown()", "\n"), ("x = ", "compute(a, b)", "\n"), ("let fo", "o", " = 1")] {
            let size = engine.holeTokens(holding: text, after: prefix, before: suffix)
            let healing = TokenHealing.heal(segments: [prefix, suffix], holeTokens: [size]).healing[0]
            let held = String(decoding: healing.requiredStart + Array(text.utf8) + healing.requiredEnd, as: UTF8.self)
            XCTAssertEqual(engine.tokenizer.encode(held).count, size, "'\(prefix)|\(text)|\(suffix)'")
        }
    }
}
