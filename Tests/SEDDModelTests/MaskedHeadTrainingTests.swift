import Foundation
import SEDDKernels
@testable import SEDDModel
import XCTest

/// Absorbing training runs the output head on masked positions only; loss and every gradient must
/// equal those of the head on every position.
final class MaskedHeadTrainingTests: XCTestCase {
    func lossAndGradients(_ net: SEDDNetwork, maskedOnly: Bool, B: Int, L: Int) -> (losses: [Double], grads: [Float], headRows: Int) {
        let c = net.config
        let ws = ForwardWorkspace(config: c, batch: B, length: L, training: true)
        let bw = BackwardWorkspace(config: c, batch: B, length: L)
        ws.headOnMaskedPositionsOnly = maskedOnly
        var rng = SeededRandom(seed: 3)
        let x0 = (0..<(B * L)).map { _ in Int32(rng.next() % UInt64(c.tokens)) }
        for i in 0..<(B * L) { ws.ids[i] = rng.nextFloat() < 0.4 ? Int32(c.maskID!) : x0[i] }
        let sigma: [Float] = (0..<B).map { Float($0) * 0.7 + 0.3 }, dsigma: [Float] = (0..<B).map { Float($0) + 1 }
        for b in 0..<B { ws.sigma[b] = sigma[b] }
        net.forward(ws)
        let graph = makeGraph(c)
        let losses = x0.withUnsafeBufferPointer {
            ScoreEntropyLoss.lossesAndGradient(graph: graph, ws: ws, x0: $0.baseAddress!, sigma: sigma, dsigma: dsigma)
        }
        let g = ParameterStore(table: net.parameters.table)
        net.backward(ws, bw, gradients: g)
        return (losses, g.buffer.array, ws.headRowCount)
    }

    func check(precision: Precision, tolerance: Float) throws {
        let config = TestModels.config(graph: .absorb, tokens: 40, hidden: 32, blocks: 2, length: 24)
        let net = TestModels.network(config)
        net.precision = precision
        let B = 2, L = 24
        let full = lossAndGradients(net, maskedOnly: false, B: B, L: L)
        let masked = lossAndGradients(net, maskedOnly: true, B: B, L: L)
        XCTAssertEqual(full.headRows, B * L)
        XCTAssertGreaterThan(masked.headRows, 0)
        XCTAssertLessThan(masked.headRows, B * L, "the masked run must actually drop rows")
        for b in 0..<B { XCTAssertEqual(masked.losses[b], full.losses[b], accuracy: 1e-5 * max(1, abs(full.losses[b]))) }
        let scale = full.grads.map(abs).max()!
        XCTAssertGreaterThan(scale, 0)
        for i in 0..<full.grads.count {
            XCTAssertEqual(masked.grads[i], full.grads[i], accuracy: tolerance * scale, "gradient \(i)")
        }
    }

    func testMaskedHeadEqualsFullHeadInFP32() throws { try check(precision: .fp32, tolerance: 1e-5) }

    func testMaskedHeadEqualsFullHeadInBF16() throws {
        try XCTSkipUnless(OneDNN.isAvailable, "oneDNN has no CPU engine here")
        // Same bf16 products on the same rows, except the head's rounding of row counts: equal up to
        // fp32 summation order.
        try check(precision: .bf16, tolerance: 1e-4)
    }
}
