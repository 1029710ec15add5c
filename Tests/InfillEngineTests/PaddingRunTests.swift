import SEDDModel
import XCTest

@testable import InfillEngine

/// The padding stays one run at the end of a hole, after at least one token of fill.
final class PaddingRunTests: XCTestCase {
    let pad: Int32 = 90, mask: Int32 = 99, text: Int32 = 7

    /// Which positions `adjust` forbids the padding at, for tokens `x` (one row of 10, hole 2..<8).
    func forbidden(_ x: [Int32], healed: Set<Int> = []) -> [Int] {
        let run = PaddingRun(padding: Int(pad), mask: Int(mask), holes: [2..<8], batch: 1, length: 10)
        run.healed = healed
        x.withUnsafeBufferPointer { run.prepare(x: $0.baseAddress!) }
        // Healed positions are never masked, so the sampler never asks about them.
        return (0..<10).filter { !healed.contains($0) }.filter { p in
            var scores = [Float](repeating: 0, count: 100)
            run.adjust(row: p, logScores: &scores)
            return scores[Int(pad)] == -.infinity
        }
    }

    func testPaddingIsForbiddenUpToTheLastTextAndAtTheFirstFreePosition() {
        let m = mask, t = text
        XCTAssertEqual(forbidden([1, 1, m, m, m, m, m, m, 1, 1]), [2], "nothing revealed: the fill's first token is not padding")
        XCTAssertEqual(forbidden([1, 1, m, m, m, t, m, m, 1, 1]), [2, 3, 4, 5], "before the last text, no padding")
        XCTAssertEqual(forbidden([1, 1, t, m, m, m, m, m, 1, 1], healed: [2]), [3], "a healed start is the user's: the fill still needs a token")
        XCTAssertEqual(forbidden([1, 1, m, m, m, m, m, t, 1, 1], healed: [7]), [2], "a healed end is not the fill's text")
    }

    func testSettlingKeepsOneRunAfterTheText() {
        let m = mask, t = text, p = pad
        let run = PaddingRun(padding: Int(pad), mask: Int(mask), holes: [2..<8], batch: 2, length: 10)
        var x: [Int32] = [
            1, 1, p, t, m, p, m, m, 1, 1,  // padding before text is drawn again; after the run starts, all pads
            1, 1, m, p, m, m, m, m, 1, 1,  // no text yet: the run after the first pad fills the rest
        ]
        x.withUnsafeMutableBufferPointer { run.settle($0.baseAddress!) }
        XCTAssertEqual(Array(x[0..<10]), [1, 1, m, t, m, p, p, p, 1, 1])
        XCTAssertEqual(Array(x[10..<20]), [1, 1, m, p, p, p, p, p, 1, 1])
    }
}
