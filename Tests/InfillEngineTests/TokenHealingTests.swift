import Foundation
@testable import InfillEngine
import SEDDModel
import Tokenizers
import XCTest

/// Hole edges inside a word (or after whitespace) are healed: the cut piece moves into the hole as
/// required bytes, the model picks consistent tokens, and the fill leaves the bytes out.
final class TokenHealingTests: XCTestCase {
    func testPiecesMoveFromTheContextIntoTheHole() {
        let (segments, healing) = TokenHealing.heal(segments: ["let fo", "o = 1"], holeTokens: [8])
        XCTAssertEqual(segments, ["let", " = 1"])
        XCTAssertEqual(healing, [HoleHealing(requiredStart: Array(" fo".utf8), requiredEnd: Array("o".utf8))])

        // After punctuation nothing is cut; a suffix word is only healed when the cursor is inside a word.
        let (s2, h2) = TokenHealing.heal(segments: ["print(", "value)"], holeTokens: [8])
        XCTAssertEqual(s2, ["print(", "value)"])
        XCTAssertEqual(h2, [HoleHealing()])

        // Indentation: split as training splits `{\n    return` (`\n   `, ` return`): the context keeps
        // the indent token and the fill must start with the space a word would carry.
        let (s3, h3) = TokenHealing.heal(segments: ["func a() {\n    ", "\n}"], holeTokens: [8])
        XCTAssertEqual(s3, ["func a() {\n   ", "\n}"])
        XCTAssertEqual(h3[0].requiredStart, Array(" ".utf8))
        XCTAssertEqual(h3[0].requiredEnd, [])
        // Tabs carry no word: the last one moves. A newline alone moves as before.
        XCTAssertEqual(TokenHealing.heal(segments: ["{\n\t\t", "}"], holeTokens: [8]).healing[0].requiredStart, Array("\t".utf8))
        XCTAssertEqual(TokenHealing.heal(segments: ["{\n", "}"], holeTokens: [8]).healing[0].requiredStart, Array("\n".utf8))
        XCTAssertEqual(TokenHealing.heal(segments: ["x = ", ";"], holeTokens: [8]).healing[0].requiredStart, Array(" ".utf8))

        // A one-token hole keeps no free position, so it is left alone; a two-token one heals only its start.
        XCTAssertEqual(TokenHealing.heal(segments: ["let fo", "o"], holeTokens: [1]).healing, [HoleHealing()])
        XCTAssertEqual(
            TokenHealing.heal(segments: ["let fo", "o"], holeTokens: [2]).healing,
            [HoleHealing(requiredStart: Array(" fo".utf8), requiredEnd: [])])

        // An inner segment that is one word goes to the hole before it.
        let (s4, h4) = TokenHealing.heal(segments: ["a", "bc", "d"], holeTokens: [4, 4])
        XCTAssertEqual(s4, ["", "", "d"])
        XCTAssertEqual(h4[0], HoleHealing(requiredStart: Array("a".utf8), requiredEnd: Array("bc".utf8)))
        XCTAssertEqual(h4[1], HoleHealing(), "its word went to the first hole; nothing is left before the second")

        // Words longer than the limit stay in the context.
        let long = String(repeating: "x", count: 40)
        XCTAssertEqual(TokenHealing.heal(segments: ["let " + long, ";"], holeTokens: [8]).healing, [HoleHealing()])
    }

    func testConsistencyRules() {
        let required = Array(" fo".utf8)[...]
        XCTAssertTrue(TokenHealing.consistentStart(Array(" foo".utf8), required))
        XCTAssertTrue(TokenHealing.consistentStart(Array(" f".utf8), required))
        XCTAssertFalse(TokenHealing.consistentStart(Array(" bar".utf8), required))
        XCTAssertFalse(TokenHealing.consistentStart(Array("fo".utf8), required))
        XCTAssertFalse(TokenHealing.consistentStart([], required))
        let end = Array("oo".utf8)[...]
        XCTAssertTrue(TokenHealing.consistentEnd(Array("foo".utf8), end))
        XCTAssertTrue(TokenHealing.consistentEnd(Array("o".utf8), end))
        XCTAssertFalse(TokenHealing.consistentEnd(Array("of".utf8), end))
    }

    func testHealedTokensCarryTheRequiredBytesAndTheFillLeavesThemOut() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let engine = InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
        let request = InfillRequest(segments: ["let fo", "o = bar(1)\n"], holeTokens: [6], steps: 4, fileName: "a.swift")
        let prepared = try engine.prepare(request)
        let hole = prepared.window.holeRanges[0]
        XCTAssertEqual(prepared.healings[0], HoleHealing(requiredStart: Array(" fo".utf8), requiredEnd: Array("o".utf8)))
        XCTAssertFalse(prepared.healedPositions.isEmpty)
        XCTAssertTrue(prepared.healedPositions.isSubset(of: Set(hole)))
        XCTAssertTrue(prepared.healedPositions.contains(hole.lowerBound))
        XCTAssertTrue(prepared.healedPositions.contains(hole.upperBound - 1))
        // The fixed start tokens spell " fo..." and the fixed end token ends in "o".
        let startIDs = hole.prefix { prepared.healedPositions.contains($0) }.map { prepared.window.tokens[$0] }
        XCTAssertTrue(tokenizer.decodeBytes(startIDs).starts(with: Array(" fo".utf8)), tokenizer.decode(startIDs))
        let last = prepared.window.tokens[hole.upperBound - 1]
        XCTAssertEqual(tokenizer.tokenBytes(last).last, UInt8(ascii: "o"))
        // The context no longer holds the moved pieces.
        let prefixIDs = Array(prepared.window.tokens[1..<hole.lowerBound])
        XCTAssertEqual(tokenizer.decode(prefixIDs), "let")

        // The moved bytes are already in the user's text, so the fill leaves them out.
        let ids = tokenizer.encode(" foo + xo")
        XCTAssertEqual(engine.decodeFill(ids, dropping: prepared.healings[0]), "o + x")
        XCTAssertEqual(engine.decodeFill(ids, dropping: HoleHealing()), " foo + xo")
    }

    func testWithoutHealingTheContextKeepsThePartialWord() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let engine = InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
        let prepared = try engine.prepare(InfillRequest(segments: ["let fo", "o = 1"], holeTokens: [6], healEdges: false))
        XCTAssertTrue(prepared.healedPositions.isEmpty)
        XCTAssertEqual(tokenizer.decode(Array(prepared.window.tokens[..<prepared.window.holeRanges[0].lowerBound])), "let fo")
    }
}
