import SEDDKernels
import XCTest

@testable import SEDDModel

/// Temperature sharpens where a position goes, never whether it moves; the fused masked row agrees
/// with the general tempering applied to the untempered row; confident unmasking reveals as many
/// positions as the schedule expects, surest first.
final class StepTemperatureTests: XCTestCase {
    func testTemperatureKeepsTheStayMassAndSharpensTheRest() {
        var row: [Float] = [0.1, 0.2, 0.4, 0.3]  // current = 2: stays with 0.4
        let original = row
        StepTemperature.apply(&row, count: 4, current: 2, temperature: 0.5)
        XCTAssertEqual(row[2], 0.4, "the stay mass is untouched")
        XCTAssertEqual(row[0] + row[1] + row[3], 0.6, accuracy: 1e-6, "the move mass is kept")
        // p^(1/T) with T = 0.5: squares, renormalised to 0.6.
        let squares: [Float] = [0.01, 0.04, 0, 0.09]
        for j in [0, 1, 3] { XCTAssertEqual(row[j], 0.6 * squares[j] / 0.14, accuracy: 1e-6) }
        var one = original
        StepTemperature.apply(&one, count: 4, current: 2, temperature: 1)
        XCTAssertEqual(one, original, "temperature 1 is the reference's row, bit for bit")
        var zero = original
        StepTemperature.apply(&zero, count: 4, current: 2, temperature: 0)
        XCTAssertEqual(zero[0], 0)
        XCTAssertEqual(zero[1], 0)
        XCTAssertEqual(zero[3], 0.6, accuracy: 1e-6, "temperature 0 sends the move mass to the likeliest")
        XCTAssertEqual(StepTemperature.confidence(original, count: 4, current: 2), 0.5, accuracy: 1e-6)
        var hot = original
        StepTemperature.apply(&hot, count: 4, current: 2, temperature: 2)
        XCTAssertGreaterThan(hot[0], original[0], "above 1 the spread flattens")
        XCTAssertLessThan(hot[3], original[3])
    }

    func testFusedMaskedRowMatchesTemperingTheUntemperedRow() {
        let graph = AbsorbingGraph(tokens: 1000)
        let V = graph.dim
        var rng = SeededRandom(seed: 3)
        for temperature: Float in [0, 0.3, 0.7, 1, 1.6] {
            for dsigma: Float in [0.01, 0.8] {
                var logScore = (0..<V).map { _ in 8 * rng.nextFloat() - 6 }
                logScore[graph.mask] = 0
                logScore[123] = 9
                var plain = [Float](repeating: 0, count: V), fused = [Float](repeating: 0, count: V)
                plain.withUnsafeMutableBufferPointer { graph.maskedStepProbabilities(logScore, dsigma: dsigma, into: $0.baseAddress!) }
                let oracleConfidence = StepTemperature.confidence(plain, count: V, current: graph.mask)
                StepTemperature.apply(&plain, count: V, current: graph.mask, temperature: temperature)
                let confidence = fused.withUnsafeMutableBufferPointer {
                    graph.maskedStepProbabilities(logScore, dsigma: dsigma, temperature: temperature, into: $0.baseAddress!)
                }
                XCTAssertEqual(confidence, oracleConfidence, accuracy: 1e-5)
                XCTAssertEqual(fused[graph.mask], plain[graph.mask], "T \(temperature): the chance to stay masked is untempered")
                for j in 0..<(V - 1) {
                    XCTAssertEqual(fused[j], plain[j], accuracy: 1e-5 * max(abs(plain[j]), 1e-30), "T \(temperature), dsigma \(dsigma), token \(j)")
                }
            }
        }
    }

    func testGreedySamplingTakesTheLikeliestTokensAndStillFollowsTheSeed() {
        let net = TestModels.network(TestModels.config(graph: .absorb))
        let L = net.config.length
        let fixed = FixedTokens(positions: Array(0..<4), tokens: [1, 2, 3, 4])
        func run(_ options: SamplingOptions, seed: UInt64) -> [Int] {
            let ws = ForwardWorkspace(config: net.config, batch: 1, length: L)
            return DiffusionSampler(network: net).sample(ws: ws, options: options, fixed: [fixed], seeds: [seed])![0]
        }
        // One step from t = 1 to eps reveals every mask but with chance ~eps, all from the same
        // all-mask input: at temperature 0 every position takes its argmax, whatever the seed.
        let a = run(SamplingOptions(steps: 1, temperature: 0), seed: 1)
        let b = run(SamplingOptions(steps: 1, temperature: 0), seed: 2)
        XCTAssertEqual(a, b)
        var ids = [Int](repeating: net.config.maskID!, count: L)
        for (p, t) in zip(fixed.positions, fixed.tokens) { ids[p] = t }
        let grid = TimeGrid(steps: 1, eps: 1e-5)
        let scores = net.logScores(ids: ids, sigma: [NoiseSchedule(config: net.config).total(grid.times[0])], batch: 1, length: L)
        let V = net.config.vocabularySize
        for p in 4..<L {
            let row = scores[(p * V)..<(p * V + V - 1)]
            XCTAssertEqual(a[p], row.indices.max { row[$0] < row[$1] }! - p * V, "position \(p) took its argmax")
        }
        // At temperature 1 different seeds give different samples.
        XCTAssertNotEqual(run(SamplingOptions(steps: 1), seed: 1), run(SamplingOptions(steps: 1), seed: 2))
    }

    func testConfidentUnmaskingRevealsTheExpectedCountSurestFirst() {
        let confident = ConfidentUnmasking(batch: 1, length: 6)
        let mask: Int32 = 9
        var x: [Int32] = [1, mask, mask, mask, mask, 2]
        confident.begin(x: x, mask: mask)
        // Four masked rows of 10 states, each wanting to reveal with probability 0.6 (2.4 expected).
        for (r, sure) in [(1, 0.2), (2, 0.9), (3, 0.5), (4, 0.7)] as [(Int, Float)] {
            var probs = [Float](repeating: 0, count: 10)
            probs[r] = 0.6  // token r
            probs[Int(mask)] = 0.4
            confident.confidence[r] = sure
            confident.propose(row: r, probs: probs, count: 10, mask: Int(mask), uniform: 0.5)
        }
        x.withUnsafeMutableBufferPointer { p in confident.reveal(into: p.baseAddress!) { _ in 0.5 } }  // 2.4 + 0.5 -> 2
        XCTAssertEqual(x, [1, mask, 2, mask, 4, 2], "the two surest positions (2 and 4) are revealed")
        x = [1, mask, mask, mask, mask, 2]
        confident.begin(x: x, mask: mask)
        x.withUnsafeMutableBufferPointer { p in confident.reveal(into: p.baseAddress!) { _ in 0.7 } }  // 2.4 + 0.7 -> 3
        XCTAssertEqual(x, [1, mask, 2, 3, 4, 2], "a fraction above 1 - 0.4 rounds up")
    }

    func testConfidentSamplingFillsEveryHoleAndKeepsTheFixedTokens() {
        let net = TestModels.network(TestModels.config(graph: .absorb))
        let L = net.config.length
        let positions = Array(0..<5) + Array((L - 3)..<L)
        let fixed = FixedTokens(positions: positions, tokens: positions.map { $0 % net.config.tokens })
        var revealedPerStep: [Int] = []
        let ws = ForwardWorkspace(config: net.config, batch: 2, length: L)
        let out = DiffusionSampler(network: net).sample(
            ws: ws, options: SamplingOptions(steps: 6, temperature: 0.5, unmasking: .confident), fixed: [fixed, fixed], seeds: [4, 5]
        ) { _, _, x in
            revealedPerStep.append((0..<L).filter { x[$0] != Int32(net.config.maskID!) }.count)
            return true
        }!
        for row in out {
            XCTAssertFalse(row.contains(net.config.maskID!))
            for (p, t) in zip(fixed.positions, fixed.tokens) { XCTAssertEqual(row[p], t) }
        }
        // (How many a step reveals follows the model's scores; an untrained model's are not
        // calibrated, so the count itself is checked in the unit test above.)
        XCTAssertEqual(revealedPerStep, revealedPerStep.sorted(), "revealed positions only grow")
    }
}
