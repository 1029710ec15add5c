import SEDDKernels
import SEDDModel
import SEDDTraining
import XCTest

/// AdamW, warmup, clipping and EMA against the formulas of PyTorch and the reference, computed here
/// independently in Double.
final class OptimizerTests: XCTestCase {
    func testAdamWMatchesPyTorchFormula() {
        let hyper = AdamW.Hyperparameters(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1)
        let adam = AdamW(count: 3, hyper: hyper)
        var p: [Float] = [1, -2, 0.5]
        var pd = p.map(Double.init), m = [0.0, 0, 0], v = [0.0, 0, 0]
        let grads: [[Float]] = [[0.5, -1, 0.01], [0.3, 2, -0.02], [-0.1, 0.5, 0.03]]
        let lrs: [Float] = [1e-2, 2e-2, 3e-2]
        for (t, (g, lr)) in zip(grads, lrs).enumerated() {
            p.withUnsafeMutableBufferPointer { pp in
                g.withUnsafeBufferPointer { adam.update(pp.baseAddress!, gradients: $0.baseAddress!, count: 3, lr: lr) }
            }
            let step = Double(t + 1), l = Double(lr)
            for i in 0..<3 {
                let gi = Double(g[i])
                pd[i] *= 1 - l * 0.1
                m[i] = 0.9 * m[i] + 0.1 * gi
                v[i] = 0.999 * v[i] + 0.001 * gi * gi
                let denom = v[i].squareRoot() / (1 - pow(0.999, step)).squareRoot() + 1e-8
                pd[i] -= l / (1 - pow(0.9, step)) * m[i] / denom
            }
        }
        XCTAssertEqual(adam.stepCount, 3)
        for i in 0..<3 { XCTAssertEqual(Double(p[i]), pd[i], accuracy: 1e-6) }
    }

    func testWarmupUsesThePostIncrementStep() {
        XCTAssertEqual(warmupLearningRate(base: 3e-4, step: 1, warmup: 2500), 3e-4 / 2500, accuracy: 1e-12)
        XCTAssertEqual(warmupLearningRate(base: 3e-4, step: 1250, warmup: 2500), 1.5e-4, accuracy: 1e-10)
        XCTAssertEqual(warmupLearningRate(base: 3e-4, step: 2500, warmup: 2500), 3e-4)
        XCTAssertEqual(warmupLearningRate(base: 3e-4, step: 9000, warmup: 2500), 3e-4)
        XCTAssertEqual(warmupLearningRate(base: 3e-4, step: 1, warmup: 0), 3e-4)
    }

    func testCooldownFallsLinearlyOverTheLastSteps() {
        let rate = { (step: Int) in
            scheduledLearningRate(base: 3e-4, step: step, warmup: 100, cooldown: 400, lastStep: 1000)
        }
        XCTAssertEqual(rate(50), 1.5e-4, accuracy: 1e-10)  // warmup unchanged
        XCTAssertEqual(rate(600), 3e-4)  // the last constant step
        XCTAssertEqual(rate(601), 3e-4)  // the first cooldown step still uses the peak
        XCTAssertEqual(rate(800), 3e-4 * 201 / 400, accuracy: 1e-10)
        XCTAssertEqual(rate(1000), 3e-4 / 400, accuracy: 1e-12)
        XCTAssertEqual(rate(1001), 0)  // past the planned end nothing moves
        XCTAssertEqual(scheduledLearningRate(base: 3e-4, step: 900, warmup: 100, cooldown: 0, lastStep: 1000), 3e-4)
        // Exactly the peak, to the bit, whatever the rate and length (a run going on from the last
        // constant-rate checkpoint must repeat that step).
        for base: Float in [3e-3, 3e-4, 1e-3, 7e-5] {
            for cooldown in [3, 7, 400] {
                XCTAssertEqual(scheduledLearningRate(base: base, step: 1001 - cooldown, warmup: 5, cooldown: cooldown, lastStep: 1000), base)
            }
        }
    }

    func testCooldownLongerThanTheRunIsRefused() {
        var o = TrainingOptions()
        o.steps = 100
        o.cooldown = 101
        XCTAssertThrowsError(try o.validate(modelLength: 1024)) { XCTAssertTrue("\($0)".contains("--cooldown"), "\($0)") }
        o.cooldown = 100
        XCTAssertNoThrow(try o.validate(modelLength: 1024))
    }

    func testClippingScalesToTheMaximumNorm() {
        var g: [Float] = [3, 4, 0]
        let norm = g.withUnsafeMutableBufferPointer { GradientClipping.clip($0.baseAddress!, count: 3, maxNorm: 1) }
        XCTAssertEqual(norm, 5, accuracy: 1e-9)
        XCTAssertEqual(Double(g[0]), 3 / (5 + 1e-6), accuracy: 1e-7)
        XCTAssertEqual(Double(g[1]), 4 / (5 + 1e-6), accuracy: 1e-7)
        var small: [Float] = [0.3, 0.4]
        small.withUnsafeMutableBufferPointer { _ = GradientClipping.clip($0.baseAddress!, count: 2, maxNorm: 1) }
        XCTAssertEqual(small, [0.3, 0.4], "norms below the maximum are left alone")
        var bad: [Float] = [1, .nan]
        XCTAssertFalse(bad.withUnsafeMutableBufferPointer { GradientClipping.norm($0.baseAddress!, count: 2) }.isFinite)
    }

    func testEMAWarmsUpItsDecay() {
        let config = TinyModel.config(hidden: 8, blocks: 1, length: 8)
        let params = ParameterStore(table: ParameterTable(config: config))
        params.buffer.pointer.update(repeating: 1, count: params.table.count)
        let ema = ExponentialMovingAverage(parameters: params)
        var shadow = 1.0
        for n in 1...30 {
            let target = Double(n)
            params.buffer.pointer.update(repeating: Float(target), count: params.table.count)
            ema.update(from: params)
            let decay = min(0.9999, (1 + Double(n)) / (10 + Double(n)))
            shadow -= (1 - decay) * (shadow - target)
        }
        XCTAssertEqual(Double(ema.shadow.buffer[0]), shadow, accuracy: 1e-4 * shadow)
        XCTAssertEqual(ema.updateCount, 30)
    }

    func testNoisedBatchDrawsTimesInTheReferenceRange() {
        var rng = SeededRandom(seed: 4)
        let graph = AbsorbingGraph(tokens: 10)
        let x0 = Array(repeating: 3, count: 4 * 500)
        let batch = NoisedBatch(x0: x0, batch: 4, graph: graph, noise: .logLinear(), rng: &rng)
        for b in 0..<4 {
            XCTAssertTrue((1e-3..<1).contains(batch.t[b]))
            // Loglinear: the mask probability is (1 - 1e-3) t.
            let masked = batch.xt[(b * 500)..<(b * 500 + 500)].filter { $0 == 10 }.count
            XCTAssertEqual(Double(masked) / 500, 0.999 * Double(batch.t[b]), accuracy: 0.08)
        }
        XCTAssertTrue(batch.xt.allSatisfy { $0 == 3 || $0 == 10 })
    }
}
