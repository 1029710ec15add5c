import SEDDKernels
import XCTest

@testable import SEDDModel

/// The sampler's fast paths against their oracles: the fused masked-row probabilities of the absorbing
/// graph against exp, staggeredScore and transpTransition composed, and the chunked inverse CDF against
/// the scalar one.
final class FusedSamplerRowTests: XCTestCase {
    func testMaskedRowProbabilitiesMatchTheComposedSteps() {
        let graph = AbsorbingGraph(tokens: 1000)  // dim 1001: not a multiple of 16
        let V = graph.dim
        var rng = SeededRandom(seed: 11)
        for dsigma: Float in [1e-4, 0.05, 0.7, 3] {
            var logScore = (0..<V).map { _ in 6 * rng.nextFloat() - 5 }
            logScore[graph.mask] = 0  // the scatter zeroes a masked row's own entry
            logScore[17] = 30  // one dominant token
            var fused = [Float](repeating: 0, count: V)
            var score = [Float](repeating: 0, count: V), stag = [Float](repeating: 0, count: V), trans = [Float](repeating: 0, count: V)
            fused.withUnsafeMutableBufferPointer { graph.maskedStepProbabilities(logScore, dsigma: dsigma, into: $0.baseAddress!) }
            logScore.withUnsafeBufferPointer { FastMath.exp($0.baseAddress!, into: &score, count: V) }
            graph.staggeredScore(score, dsigma: dsigma, into: &stag)
            graph.transpTransition(graph.mask, sigma: dsigma, into: &trans)
            for j in 0..<V {
                let oracle = stag[j] * trans[j]
                // Off the mask one rounding apart (two products regrouped); at the mask the sum's
                // order differs (fp32 lanes vs Double), relative to the sum's size.
                let tolerance = j == graph.mask ? 1e-5 * abs(Float(score.reduce(0, +))) : 2e-6 * abs(oracle)
                XCTAssertEqual(fused[j], oracle, accuracy: max(tolerance, 1e-30), "dsigma \(dsigma), column \(j)")
            }
        }
    }

    func testChunkedInverseCDFDrawsWhatTheScalarOneDraws() {
        var rng = SeededRandom(seed: 5)
        for count in [1, 15, 16, 17, 100, 16_385] {
            var p = (0..<count).map { _ in rng.nextFloat() < 0.3 ? -rng.nextFloat() : rng.nextFloat() * rng.nextFloat() }
            if count > 20 { p[3] = .nan; p[count - 2] = 0 }
            for _ in 0..<300 {
                let u = rng.nextDouble()
                let fast = Categorical.inverseCDFChunked(p, count: count, uniform: u)
                let slow = Categorical.inverseCDF(p, count: count, uniform: u)
                XCTAssertEqual(fast, slow, "count \(count), u \(u)")
                if p.contains(where: { $0 > 0 }) { XCTAssertGreaterThan(p[fast], 0, "only positive weights win") }
            }
        }
        // No positive weight: the first maximum, as the scalar draw gives.
        let none: [Float] = [-1, -0.5, -2, -0.5] + [Float](repeating: -3, count: 20)
        XCTAssertEqual(Categorical.inverseCDFChunked(none, count: none.count, uniform: 0.4), 1)
        // u at the very top lands on the last positive weight.
        let edge: [Float] = [Float](repeating: 0, count: 31) + [0.25]
        XCTAssertEqual(Categorical.inverseCDFChunked(edge, count: 32, uniform: 0.999_999_999), 31)
    }
}
