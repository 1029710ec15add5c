import Foundation
import SEDDKernels
import SEDDModel
@testable import SEDDTraining
import XCTest

/// A training run grown deeper (`RunGrowth`, `DepthGrowth`) goes on where it was, and learns to use
/// its new blocks.
final class GrowthTrainingTests: XCTestCase {
    func testClosedGatesPassGradientToTheGatesOnly() throws {
        let net = LossGradientTests.tinyNetwork(.absorb, seed: 4)
        let grown = try DepthGrowth(config: net.config, blocks: 3).grow(net)
        let B = 2, L = 7, V = net.config.vocabularySize
        var rng = SeededRandom(seed: 9)
        let x0 = (0..<(B * L)).map { _ in Int(rng.next() % UInt64(net.config.tokens)) }
        let xt = x0.enumerated().map { $0.offset % 2 == 0 ? V - 1 : $0.element }
        let noise = NoiseSchedule(config: net.config)
        let sigma = [Float(0.4), 0.9].map(noise.total), dsigma = [Float(0.4), 0.9].map(noise.rate)
        let before = LossGradient(network: net, batch: B, length: L).loss(x0: x0, xt: xt, sigma: sigma, dsigma: dsigma)
        let engine = LossGradient(network: grown, batch: B, length: L)
        let after = engine.compute(x0: x0, xt: xt, sigma: sigma, dsigma: dsigma)
        XCTAssertEqual(before, after, "the grown network's loss differs")
        let g = engine.gradients, H = net.config.hiddenSize, C = net.config.condDim
        // Behind closed gates the block's own weights get nothing yet...
        XCTAssertTrue(g.values("blocks.2.attn_qkv.weight").allSatisfy { $0 == 0 })
        XCTAssertTrue(g.values("blocks.2.mlp.0.weight").allSatisfy { $0 == 0 })
        // ...but the gate rows do, so training can open them.
        let modulation = g.values("blocks.2.adaLN_modulation.bias")
        for gate in [2, 5] { XCTAssertTrue(modulation[(gate * H)..<((gate + 1) * H)].contains { $0 != 0 }, "gate chunk \(gate)") }
        XCTAssertTrue(g.values("blocks.2.adaLN_modulation.weight")[(2 * H * C)..<(3 * H * C)].contains { $0 != 0 })
    }

    func testGrownRunResumesWithTheSameModelAndOpensTheNewGates() throws {
        let (model, data) = try TinyModel.smallRun()
        var o = TinyModel.options(steps: 12)
        o.saveEvery = 4
        let run = TinyModel.temporaryDirectory("run")
        let first = try TrainingSession(model: model, data: [data.path], out: run, options: o, resume: false)
        try first.run(shouldStop: { first.trainer.step >= 6 }, report: { _ in }, evaluation: { _, _ in })

        let grownRun = TinyModel.temporaryDirectory("grown")
        XCTAssertThrowsError(try RunGrowth.grow(model: run, out: grownRun, blocks: 2)) { error in
            XCTAssertTrue("\(error)".contains("--blocks"), "\(error)")
        }
        let summary = try RunGrowth.grow(model: run, out: grownRun, blocks: 3, name: "tiny-3")
        XCTAssertEqual(summary.checkpointStep, 6)
        XCTAssertEqual(summary.config.name, "tiny-3")
        XCTAssertThrowsError(try RunGrowth.grow(model: run, out: grownRun, blocks: 3), "must not overwrite a run")

        // The grown directory is a model of the same ELBO (same draws), and a run that resumes at step 6.
        let blocks = TokenizedCorpus.blocks(first.corpus.trainTokens, length: 32).prefix(8).map { Array($0) }
        func elbo(_ url: URL) throws -> Double {
            ELBOEvaluator(network: try ModelDirectory.load(url), batch: 4).evaluate(blocks: blocks, bytes: 0, samples: 2, seed: 3).natsPerToken
        }
        XCTAssertEqual(try elbo(run), try elbo(grownRun))
        let second = try TrainingSession(model: grownRun, data: [data.path], out: grownRun, options: o, resume: true)
        XCTAssertEqual(second.trainer.step, 6)
        XCTAssertEqual(second.trainer.network.config.blocks, 3)
        var losses: [Double] = []
        try second.run(shouldStop: { false }, report: { losses.append($0.loss) }, evaluation: { _, _ in })
        XCTAssertEqual(losses.count, 6)
        XCTAssertTrue(losses.allSatisfy(\.isFinite))
        let gates = second.trainer.network.parameters.values("blocks.2.adaLN_modulation.bias")[(2 * 32)..<(3 * 32)]
        XCTAssertTrue(gates.contains { $0 != 0 }, "six steps should open the new block's gates")
        XCTAssertEqual(TrainingLog.losses(at: grownRun.appendingPathComponent(TrainingLog.fileName)).count, 12, "the log goes on")
    }
}
