import Foundation
import SEDDKernels
@testable import SEDDModel
import XCTest

final class SamplerTests: XCTestCase {
    func sample(_ net: SEDDNetwork, batch: Int, fixed: [FixedTokens], seeds: [UInt64], steps: Int = 6, predictor: Predictor = .analytic) -> [[Int]] {
        let ws = ForwardWorkspace(config: net.config, batch: batch, length: net.config.length)
        return DiffusionSampler(network: net).sample(ws: ws, options: SamplingOptions(steps: steps, predictor: predictor), fixed: fixed, seeds: seeds)!
    }

    func testSameSeedSameSampleAndDifferentSeedDiffers() {
        for graph in [GraphKind.absorb, .uniform] {
            let net = TestModels.network(TestModels.config(graph: graph))
            let a = sample(net, batch: 1, fixed: [.none], seeds: [42])
            let b = sample(net, batch: 1, fixed: [.none], seeds: [42])
            let c = sample(net, batch: 1, fixed: [.none], seeds: [43])
            XCTAssertEqual(a, b, "\(graph): same seed must give the same sample")
            XCTAssertNotEqual(a, c, "\(graph): a different seed should give a different sample")
        }
    }

    func testNoMaskSurvivesTheDenoiser() {
        let net = TestModels.network(TestModels.config(graph: .absorb))
        for predictor in Predictor.allCases {
            let x = sample(net, batch: 2, fixed: [.none, .none], seeds: [1, 2], steps: 3, predictor: predictor)
            XCTAssertFalse(x.joined().contains(net.config.maskID!), "\(predictor): a mask survived")
        }
    }

    func testFixedPositionsNeverChangeAtAnyStep() {
        for graph in [GraphKind.absorb, .uniform] {
            let net = TestModels.network(TestModels.config(graph: graph))
            let L = net.config.length
            // Three holes: fixed prefix, a fixed island in the middle, fixed suffix.
            let positions = Array(0..<5) + Array(10..<13) + Array((L - 4)..<L)
            let tokens = positions.map { ($0 * 7) % net.config.tokens }
            let fixed = FixedTokens(positions: positions, tokens: tokens)
            let ws = ForwardWorkspace(config: net.config, batch: 1, length: L)
            var violations = 0
            let out = DiffusionSampler(network: net).sample(
                ws: ws, options: SamplingOptions(steps: 8, predictor: .euler), fixed: [fixed], seeds: [9]
            ) { _, _, x in
                // After a predictor step the projection has not run yet: absorbing tokens can never
                // move, so for absorb the fixed ones must still be there.
                if graph == .absorb { for (p, t) in zip(positions, tokens) where x[p] != Int32(t) { violations += 1 } }
                return true
            }!
            XCTAssertEqual(violations, 0)
            for (p, t) in zip(positions, tokens) { XCTAssertEqual(out[0][p], t, "\(graph): fixed position \(p) changed") }
        }
    }

    func testARowSamplesTheSameAloneOrInABatch() {
        let net = TestModels.network(TestModels.config(graph: .absorb))
        let fixed = FixedTokens(positions: [0, 1, 2], tokens: [3, 4, 5])
        let alone = sample(net, batch: 1, fixed: [fixed], seeds: [77])
        let batched = sample(net, batch: 3, fixed: [.none, fixed, fixed], seeds: [5, 77, 6])
        XCTAssertEqual(alone[0], batched[1])
    }

    func testCancellationStopsTheRun() {
        let net = TestModels.network(TestModels.config())
        let ws = ForwardWorkspace(config: net.config, batch: 1, length: net.config.length)
        var seen = 0
        let out = DiffusionSampler(network: net).sample(ws: ws, options: SamplingOptions(steps: 10), fixed: [.none], seeds: [1]) { step, _, _ in
            seen = step
            return step < 3
        }
        XCTAssertNil(out)
        XCTAssertEqual(seen, 3)
    }

    func testMaskedOnlyHeadMatchesTheFullHead() {
        let net = TestModels.network(TestModels.config(graph: .absorb))
        let L = net.config.length, V = net.config.vocabularySize
        let ids = (0..<(2 * L)).map { $0 % 3 == 0 ? net.config.maskID! : $0 % net.config.tokens }
        let full = net.logScores(ids: ids, sigma: [0.3, 2.0], batch: 2, length: L)
        let ws = ForwardWorkspace(config: net.config, batch: 2, length: L)
        for (i, t) in ids.enumerated() { ws.ids[i] = Int32(t) }
        ws.sigma[0] = 0.3
        ws.sigma[1] = 2.0
        let rows = ids.indices.filter { ids[$0] == net.config.maskID! }
        ws.setHeadRows(rows)
        net.forward(ws)
        for (i, r) in rows.enumerated() {
            for j in 0..<V { XCTAssertEqual(ws.logits[i * V + j], full[r * V + j], accuracy: 1e-5) }
        }
    }

    func testTimeGridMatchesTorchLinspace() {
        // torch.linspace(1, 1e-5, 5) in float32.
        let g = TimeGrid(steps: 4)
        XCTAssertEqual(g.times.first, 1)
        XCTAssertEqual(g.times.last, 1e-5)
        XCTAssertEqual(g.times[2], 0.500005, accuracy: 1e-7)
        XCTAssertEqual(g.stepSize, (1 - 1e-5) / 4)
    }

    func testInverseCDFFollowsTheWeights() {
        var counts = [0, 0, 0, 0]
        let p: [Float] = [0.1, 0, 0.6, -3]  // non-positive weights never win
        var rng = SeededRandom(seed: 3)
        for _ in 0..<20000 { counts[Categorical.inverseCDF(p, count: 4, uniform: rng.nextDouble())] += 1 }
        XCTAssertEqual(counts[1], 0)
        XCTAssertEqual(counts[3], 0)
        XCTAssertEqual(Double(counts[0]) / 20000, 1.0 / 7, accuracy: 0.01)
    }
}
