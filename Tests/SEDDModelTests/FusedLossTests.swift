import SEDDKernels
import XCTest

@testable import SEDDModel

/// Training's fused absorbing loss step against its two-pass oracle (`scoreEntropy` then
/// `scoreEntropyGradient`): the same numbers bit for bit, masked and unmasked rows.
final class FusedLossTests: XCTestCase {
    func testOnePassEntropyAndGradientEqualTheTwoPasses() {
        for tokens in [40, 1000, 16_384] {
            let graph = AbsorbingGraph(tokens: tokens)
            let V = graph.dim
            var rng = SeededRandom(seed: UInt64(tokens))
            for (sigma, x, x0) in [(Float(0.3), graph.mask, 7), (Float(4.5), graph.mask, tokens - 1), (Float(1), 3, 3)] {
                let row = (0..<V).map { _ in 8 * rng.nextFloat() - 6 }
                let weight: Float = 0.37
                let entropy = graph.scoreEntropy(row, sigma: sigma, x: x, x0: x0)
                var gradient = [Float](repeating: .nan, count: V)
                graph.scoreEntropyGradient(row, sigma: sigma, x: x, x0: x0, weight: weight, into: &gradient)
                var fused = row
                let fusedEntropy = fused.withUnsafeMutableBufferPointer {
                    graph.scoreEntropyAndGradientInPlace($0.baseAddress!, sigma: sigma, x: x, x0: x0, weight: weight)
                }
                XCTAssertEqual(fusedEntropy.bitPattern, entropy.bitPattern, "tokens \(tokens), sigma \(sigma), x \(x)")
                XCTAssertEqual(fused.map(\.bitPattern), gradient.map(\.bitPattern), "tokens \(tokens), sigma \(sigma), x \(x)")
            }
        }
    }
}
