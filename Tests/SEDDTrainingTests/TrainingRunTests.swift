import Foundation
import SEDDKernels
import SEDDModel
@testable import SEDDTraining
import Tokenizers
import XCTest

/// Whole training runs on a tiny byte-level model: learning, checkpoint/resume, skipped steps.
final class TrainingRunTests: XCTestCase {
    func options(steps: Int) -> TrainingOptions { TinyModel.options(steps: steps) }

    /// ELBO of a network on the corpus's blocks (fixed seed, so two networks see the same draws).
    func elbo(_ network: SEDDNetwork, _ blocks: [[Int32]]) -> ELBOResult {
        ELBOEvaluator(network: network, batch: 8).evaluate(blocks: blocks, bytes: blocks.count * 32, samples: 4, seed: 99)
    }

    func testTrainingLowersTheELBOOnRepetitiveText() throws {
        let model = try TinyModel.directory(TinyModel.config())
        let data = try TinyModel.corpus()
        let out = TinyModel.temporaryDirectory("out")
        let session = try TrainingSession(model: model, data: [data.path], out: out, options: options(steps: 60), resume: false)
        let blocks = TokenizedCorpus.blocks(session.corpus.trainTokens, length: 32).prefix(16).map { Array($0) }
        let before = elbo(try ModelDirectory.load(model), blocks)
        var reports: [StepReport] = []
        try session.run(shouldStop: { false }, report: { reports.append($0) }, evaluation: { _, _ in })
        XCTAssertEqual(reports.count, 60)
        XCTAssertTrue(reports.allSatisfy { !$0.skipped && $0.loss.isFinite })
        // The out directory is a model directory the engine loads; it holds the EMA weights.
        let trained = try ModelDirectory.load(out)
        XCTAssertEqual(trained.parameters.buffer.array, session.trainer.ema.shadow.buffer.array)
        let after = elbo(trained, blocks)
        print("ELBO before \(before.natsPerToken) after \(after.natsPerToken)")
        // Untrained, the byte model sits near ln 256 = 5.5 nats per token; repetitive text is far easier.
        XCTAssertGreaterThan(before.natsPerToken, 4.5)
        XCTAssertLessThan(after.natsPerToken, 0.6 * before.natsPerToken, "before \(before.natsPerToken), after \(after.natsPerToken)")
        // And the tokenizer came along.
        let tokenizer = try GPT2Tokenizer(directory: out)
        XCTAssertEqual(tokenizer.endOfTextID, 256)
    }

    func testResumeRepeatsTheUninterruptedRunBitForBit() throws {
        let (model, data) = try TinyModel.smallRun()
        var o = options(steps: 7)
        o.saveEvery = 2

        let straight = TinyModel.temporaryDirectory("straight")
        try TrainingSession(model: model, data: [data.path], out: straight, options: o, resume: false)
            .run(shouldStop: { false }, report: { _ in }, evaluation: { _, _ in })

        // Interrupted after step 3 (a stop request, as SIGINT sets), then resumed. Step 3 is not a
        // save step, so the stop path itself must write the checkpoint.
        let interrupted = TinyModel.temporaryDirectory("interrupted")
        let first = try TrainingSession(model: model, data: [data.path], out: interrupted, options: o, resume: false)
        try first.run(shouldStop: { first.trainer.step >= 3 }, report: { _ in }, evaluation: { _, _ in })
        XCTAssertEqual(first.trainer.step, 3)
        XCTAssertThrowsError(try TrainingSession(model: model, data: [data.path], out: interrupted, options: o, resume: false))
        let second = try TrainingSession(model: model, data: [data.path], out: interrupted, options: o, resume: true)
        XCTAssertEqual(second.trainer.step, 3)
        try second.run(shouldStop: { false }, report: { _ in }, evaluation: { _, _ in })

        let a = TrainingLog.losses(at: straight.appendingPathComponent(TrainingLog.fileName))
        let b = TrainingLog.losses(at: interrupted.appendingPathComponent(TrainingLog.fileName))
        XCTAssertEqual(a.count, 7)
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        for step in 1...7 { XCTAssertEqual(a[step]!.bitPattern, b[step]!.bitPattern, "step \(step): \(a[step]!) vs \(b[step]!)") }
        let wa = try ModelDirectory.load(straight).parameters.buffer.array
        let wb = try ModelDirectory.load(interrupted).parameters.buffer.array
        XCTAssertTrue(zip(wa, wb).allSatisfy { $0.bitPattern == $1.bitPattern }, "final EMA weights differ")
    }

    func testACooldownKeepsItsLastConstantRateCheckpointToGoOnFrom() throws {
        let (model, data) = try TinyModel.smallRun()
        var o = options(steps: 8)
        o.cooldown = 3
        let run = TinyModel.temporaryDirectory("cooled")
        var cooled: [Int: StepReport] = [:]
        try TrainingSession(model: model, data: [data.path], out: run, options: o, resume: false)
            .run(shouldStop: { false }, report: { cooled[$0.step] = $0 }, evaluation: { _, _ in })
        let kept = run.appendingPathComponent(TrainingSession.beforeCooldownFileName)
        XCTAssertEqual(try TrainingCheckpoint.read(from: kept).step, 5, "the last step before the cooldown (6-8)")

        // Going on from it at the peak rate: the same steps until the cooldown's rate first differs.
        let onward = TinyModel.temporaryDirectory("onward")
        try FileManager.default.createDirectory(at: onward, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: kept, to: onward.appendingPathComponent(TrainingCheckpoint.fileName))
        var longer = options(steps: 10)
        longer.cooldown = 0
        var peak: [Int: StepReport] = [:]
        try TrainingSession(model: model, data: [data.path], out: onward, options: longer, resume: true)
            .run(shouldStop: { false }, report: { peak[$0.step] = $0 }, evaluation: { _, _ in })
        XCTAssertEqual(Set(peak.keys), Set(6...10))
        XCTAssertTrue(peak.values.allSatisfy { $0.learningRate == o.learningRate })
        XCTAssertLessThan(cooled[7]!.learningRate, o.learningRate)
        // Step 6 ran at the peak in both (the cooldown's first step keeps it), so steps 6 and 7 agree.
        for step in [6, 7] { XCTAssertEqual(peak[step]!.loss.bitPattern, cooled[step]!.loss.bitPattern, "step \(step)") }
        XCTAssertNotEqual(peak[8]!.loss, cooled[8]!.loss, "step 7's rates differ")
    }

    func testResumingOnChangedDataNeedsSayingSoAndKeepsTheTrainingState() throws {
        let model = try TinyModel.directory(TinyModel.config(hidden: 32, length: 32))
        var o = options(steps: 3)
        o.saveEvery = 3
        let out = TinyModel.temporaryDirectory("changed")
        let first = try TrainingSession(model: model, data: [TinyModel.corpus(files: 3).path], out: out, options: o, resume: false)
        try first.run(shouldStop: { false }, report: { _ in }, evaluation: { _, _ in })
        let saved = first.trainer.network.parameters.buffer.array

        o.steps = 5
        let other = try TinyModel.corpus(files: 5).path
        XCTAssertThrowsError(try TrainingSession(model: model, data: [other], out: out, options: o, resume: true)) { error in
            XCTAssertTrue("\(error)".contains("--data-changed"), "\(error)")
        }
        let second = try TrainingSession(model: model, data: [other], out: out, options: o, resume: true, dataChanged: true)
        XCTAssertEqual(second.trainer.step, 3, "the step counter continues")
        XCTAssertTrue(
            zip(second.trainer.network.parameters.buffer.array, saved).allSatisfy { $0.bitPattern == $1.bitPattern },
            "the weights are the checkpoint's")
        try second.run(shouldStop: { false }, report: { _ in }, evaluation: { _, _ in })
        XCTAssertEqual(second.trainer.step, 5)
        // The checkpoint now records the new blocks: a plain resume on the new data works.
        XCTAssertNoThrow(try TrainingSession(model: model, data: [other], out: out, options: o, resume: true))
    }

    func testHoleNoiseFractionPicksInfillBlocksOnly() throws {
        let config = TinyModel.config(hidden: 16, blocks: 1, length: 16)
        let store = ParameterStore(table: ParameterTable(config: config))
        Initialization.initialize(store, config: config, seed: 3)
        let network = SEDDNetwork(config: config, parameters: store)
        let tokens = (0..<256).map { Int32($0 % 200) }
        let holes = [1: 3..<7, 4: 9..<12]
        var o = options(steps: 2)
        o.length = 16
        for (fraction, expected) in [(0.0, 0), (1.0, 200)] {
            o.holeNoiseFraction = fraction
            let trainer = try Trainer(network: network, trainTokens: tokens, options: o, holes: holes)
            let picked = (1...100).flatMap { step in [1, 2, 4].compactMap { trainer.holeNoised(block: $0, step: step) } }
            XCTAssertEqual(picked.count, expected, "fraction \(fraction)")
            XCTAssertTrue(picked.allSatisfy { $0 == 3..<7 || $0 == 9..<12 })
        }
        o.holeNoiseFraction = 0.5
        let trainer = try Trainer(network: network, trainTokens: tokens, options: o, holes: holes)
        let share = Double((1...1000).filter { trainer.holeNoised(block: 1, step: $0) != nil }.count) / 1000
        XCTAssertEqual(share, 0.5, accuracy: 0.06)
        XCTAssertTrue(trainer.trainStep().loss.isFinite, "a step with holed rows trains")
        var uniform = o
        uniform.holeNoiseFraction = 0.5
        let uniformConfig = TinyModel.config(graph: .uniform, hidden: 16, blocks: 1, length: 16)
        let uniformStore = ParameterStore(table: ParameterTable(config: uniformConfig))
        XCTAssertThrowsError(
            try Trainer(network: SEDDNetwork(config: uniformConfig, parameters: uniformStore), trainTokens: tokens, options: uniform))
    }

    func testNonFiniteGradientSkipsTheStep() throws {
        let config = TinyModel.config(hidden: 16, blocks: 1, length: 16)
        let store = ParameterStore(table: ParameterTable(config: config))
        Initialization.initialize(store, config: config, seed: 3)
        let network = SEDDNetwork(config: config, parameters: store)
        var o = options(steps: 2)
        o.length = 16
        let tokens = (0..<256).map { Int32($0 % 200) }
        let trainer = try Trainer(network: network, trainTokens: tokens, options: o)
        store.pointer("blocks.0.mlp.0.bias")[0] = .infinity
        let before = store.buffer.array
        let r = trainer.trainStep()
        XCTAssertTrue(r.skipped)
        XCTAssertFalse(r.gradientNorm.isFinite)
        XCTAssertEqual(trainer.optimizer.stepCount, 0)
        XCTAssertEqual(trainer.step, 1)
        XCTAssertTrue(zip(before, store.buffer.array).allSatisfy { $0.bitPattern == $1.bitPattern }, "weights moved")
        store.pointer("blocks.0.mlp.0.bias")[0] = 0
        let next = trainer.trainStep()
        XCTAssertFalse(next.skipped)
        XCTAssertEqual(trainer.optimizer.stepCount, 1)
    }

    func testELBOOfAZeroOutputAbsorbingModelIsLogN() {
        // With the reference's zero-initialised output layer the log-score is -log(e^sigma - 1) - log N
        // everywhere, and the expected loss per token works out to exactly (1 - 1e-3) log N for every
        // t under the log-linear schedule.
        let config = TinyModel.config(hidden: 16, blocks: 1, length: 64)
        let store = ParameterStore(table: ParameterTable(config: config))
        Initialization.initialize(store, config: config, seed: 5)
        let network = SEDDNetwork(config: config, parameters: store)
        var rng = SeededRandom(seed: 1)
        let blocks = (0..<6).map { _ in (0..<64).map { _ in Int32(rng.next() % 256) } }
        let r = ELBOEvaluator(network: network, batch: 16).evaluate(blocks: blocks, bytes: 6 * 64, samples: 64, seed: 3)
        let expected = 0.999 * log(256.0)
        XCTAssertEqual(r.natsPerToken, expected, accuracy: 4 * r.standardError + 1e-4)
        XCTAssertLessThan(r.standardError, 0.25)
        XCTAssertEqual(r.bitsPerByte, r.totalNats / log(2) / Double(6 * 64), accuracy: 1e-12)
        XCTAssertEqual(r.perplexityBound, exp(r.natsPerToken), accuracy: 1e-9)
        XCTAssertEqual(r.tokens, 6 * 64)
    }
}
