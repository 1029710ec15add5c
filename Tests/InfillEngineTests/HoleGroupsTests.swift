import Foundation
import SEDDModel
import Tokenizers
import XCTest

@testable import InfillEngine

/// Holes too far apart for one window are filled in groups, left to right; holes that fit one window
/// still share one run; a single hole larger than the context is still refused.
final class HoleGroupsTests: XCTestCase {
    private func engine() throws -> InfillEngine {
        let tokenizer = try TinyCodeModel.tokenizer()
        return InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
    }

    /// About 90 tokens of code: more than the tiny model's 64-token context.
    private let far = String(repeating: "let foo3 = bar(7)\n", count: 15)

    func testHolesThatShareAWindowStayInOneRun() throws {
        let e = try engine()
        let request = InfillRequest(segments: ["let foo = ", "\nlet x = ", "\n"], holeTokens: [4, 4], steps: 4, seed: 1)
        XCTAssertEqual(try e.holeGroups(request), [0..<2])
    }

    func testHolesTooFarApartAreFilledInGroupsAndKeepTheTextAroundThem() throws {
        let e = try engine()
        XCTAssertGreaterThan(e.tokenizer.encode(far).count, e.contextLength)
        let segments = ["let a = ", "\n" + far, "\nlet b = ", "\n"]
        let request = InfillRequest(segments: segments, holeTokens: [4, 3, 4], steps: 4, candidates: 2, seed: 5, healEdges: false)
        XCTAssertEqual(try e.holeGroups(request), [0..<1, 1..<3], "the second and third holes share a window")
        var reported: [(Int, Int)] = []
        let result = try e.infill(request, progress: { step, steps, fills in
            reported.append((step, steps))
            XCTAssertEqual(fills.count, 2)
            XCTAssertTrue(fills.allSatisfy { $0.count == 3 }, "previews carry every hole")
        })
        XCTAssertEqual(result.candidates.count, 2)
        for candidate in result.candidates {
            XCTAssertEqual(candidate.fills.count, 3)
            XCTAssertTrue(candidate.fills.allSatisfy { !$0.isEmpty }, "\(candidate.fills)")
        }
        XCTAssertEqual(result.candidates.map(\.score), result.candidates.map(\.score).sorted(by: >))
        XCTAssertEqual(reported.last.map { $0.0 }, 8, "steps are counted across both groups")
        XCTAssertTrue(reported.allSatisfy { $0.1 == 8 })
        XCTAssertGreaterThanOrEqual(result.stages.forwardPasses, 2, "both runs' passes are counted")
        XCTAssertLessThanOrEqual(result.windowTokens, e.contextLength)
    }

    func testAGroupSeesTheFillsBeforeItAndNotTheHolesAfterIt() throws {
        let e = try engine()
        let request = InfillRequest(segments: ["A", "B", "C", "D", "E"], holeTokens: [1, 2, 3, 4], seed: 9)
        let group = e.groupRequest(request, holes: 2..<3, fillsBefore: ["x", "y"], seed: 10)
        XCTAssertEqual(group.segments, ["AxByC", "DE"])
        XCTAssertEqual(group.holeTokens, [3])
        XCTAssertEqual(group.seed, 10)
    }

    func testAHoleLargerThanTheContextIsStillRefused() throws {
        let e = try engine()
        let request = InfillRequest(segments: ["let a = ", "\n"], holeTokens: [e.contextLength + 1], seed: 1)
        XCTAssertThrowsError(try e.infill(request)) { error in
            XCTAssertEqual(error as? InfillEngineError, .holeTooLarge(tokens: e.contextLength + 1, context: e.contextLength))
            XCTAssertTrue("\(error)".contains("larger than the model's context"), "\(error)")
        }
    }
}
