import Foundation
import SEDDKernels
import SEDDModel

/// One step's figures (also the rows of the JSONL log).
public struct StepReport: Sendable, Equatable, Codable {
    public var step: Int
    /// Mean over the batch of the per-sequence loss (the optimised quantity).
    public var loss: Double
    /// Global gradient norm before clipping (NaN or infinity for a skipped step).
    public var gradientNorm: Double
    public var learningRate: Float
    /// True when a gradient was not finite and the optimizer step was skipped.
    public var skipped: Bool
    public var tokens: Int
    public var seconds: Double
}

/// The reference's training procedure (spec 5.1 and 7) over a packed token stream: noise draw, loss,
/// backward, finiteness check, clipping, AdamW with linear warmup, EMA.
///
/// Every random draw (times, moves, dropout masks) comes from one generator whose state, with the
/// data order and the optimizer, is in `checkpoint`, so a resumed run repeats an uninterrupted one
/// bit for bit.
public final class Trainer {
    public let network: SEDDNetwork
    public let options: TrainingOptions
    public let optimizer: AdamW
    public let ema: ExponentialMovingAverage
    public let noise: NoiseSchedule
    /// Optimizer steps taken (including skipped ones, as the reference's `state['step']`).
    public private(set) var step: Int = 0
    public private(set) var order: DataOrder
    let engine: LossGradient
    let tokens: [Int32]
    let blockCount: Int
    /// Holes of the infill-shaped blocks, by block index (for `options.holeNoiseFraction`).
    let holes: [Int: Range<Int>]
    /// The generator for noise and dropout; a pointer because the forward pass draws from it.
    let rng: UnsafeMutablePointer<SeededRandom>

    /// - Parameter trainTokens: the packed training stream; whole blocks of `options.length` are used.
    /// - Parameter holes: the infill-shaped blocks' holes (`TokenizedCorpus.trainHoles`).
    public init(
        network: SEDDNetwork, trainTokens: [Int32], options: TrainingOptions, holes: [Int: Range<Int>] = [:]
    ) throws(TrainingError) {
        try options.validate(modelLength: network.config.length)
        let blocks = trainTokens.count / options.length
        guard blocks > 0 else { throw .corpusTooSmall(tokens: trainTokens.count, length: options.length) }
        if options.holeNoiseFraction > 0 && network.config.graph != .absorb {
            // Only the absorbing graph's loss is zero at clean positions; the uniform graph would
            // score the clean context as if it had been noised and stayed.
            throw .invalidOption(name: "--hole-noise-fraction", reason: "needs the absorbing graph (config graph.type = absorb)")
        }
        let limit = network.config.vocabularySize
        if let bad = trainTokens.first(where: { $0 < 0 || Int($0) >= network.config.tokens }) {
            throw .tokenOutOfRange(path: "training data", token: Int(bad), modelTokens: min(limit, network.config.tokens))
        }
        self.network = network
        self.options = options
        tokens = trainTokens
        blockCount = blocks
        self.holes = holes
        optimizer = AdamW(count: network.parameters.table.count, hyper: options.adam)
        ema = ExponentialMovingAverage(parameters: network.parameters, decay: options.emaDecay)
        noise = NoiseSchedule(config: network.config)
        engine = LossGradient(network: network, batch: options.batch, length: options.length)
        order = DataOrder(blockCount: blocks, seed: options.seed &+ 1)
        rng = .allocate(capacity: 1)
        rng.initialize(to: SeededRandom(seed: options.seed))
    }

    deinit { rng.deallocate() }

    public var tokensPerStep: Int { options.batch * options.length }

    /// Runs one optimizer step and reports it.
    public func trainStep() -> StepReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let B = options.batch, L = options.length
        var x0 = [Int](repeating: 0, count: B * L)
        let blocks = order.next(B)
        for (slot, block) in blocks.enumerated() {
            for l in 0..<L { x0[slot * L + l] = Int(tokens[block * L + l]) }
        }
        let noisedOnly = blocks.map { holeNoised(block: $0, step: step + 1) }
        let batch = NoisedBatch(
            x0: x0, batch: B, graph: engine.graph, noise: noise, rng: &rng.pointee,
            noisedOnly: noisedOnly.contains { $0 != nil } ? noisedOnly : nil)
        let dropout: (p: Float, rng: UnsafeMutablePointer<SeededRandom>)? =
            network.config.dropout > 0 ? (Float(network.config.dropout), rng) : nil
        let losses = engine.compute(x0: x0, xt: batch.xt, sigma: batch.sigma, dsigma: batch.dsigma, dropout: dropout)
        let loss = losses.reduce(0, +) / Double(B)

        step += 1
        let g = engine.gradients.buffer.pointer, count = engine.gradients.table.count
        let norm = GradientClipping.norm(g, count: count)
        let lr = scheduledLearningRate(
            base: options.learningRate, step: step, warmup: options.warmup, cooldown: options.cooldown,
            lastStep: options.steps)
        let skipped = !norm.isFinite
        if !skipped {
            GradientClipping.clip(g, count: count, maxNorm: options.gradientClip)
            optimizer.update(network.parameters.buffer.pointer, gradients: g, count: count, lr: lr)
        }
        // The reference updates the EMA after every step, skipped or not.
        ema.update(from: network.parameters)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return StepReport(
            step: step, loss: loss, gradientNorm: norm, learningRate: lr, skipped: skipped, tokens: B * L,
            seconds: seconds)
    }

    /// The hole of `block` when this step noises only its hole: decided by a hash of (seed, step,
    /// block), not by the generator, so the choice leaves every other draw of the run unchanged.
    func holeNoised(block: Int, step: Int) -> Range<Int>? {
        guard options.holeNoiseFraction > 0, let hole = holes[block] else { return nil }
        let key = options.seed ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(block) &* 0xD1B5_4A32_D192_ED03)
        return SeededRandom.unitInterval(hashing: key) < options.holeNoiseFraction ? hole : nil
    }

    /// Restores the state a checkpoint holds (weights, EMA, Adam moments, counters, data order, RNG).
    /// With `dataChanged` the blocks may differ from the checkpoint's (new data, or a new packing such
    /// as another `--hole-shape`): everything else is restored and the new blocks are visited in a
    /// fresh order from the next epoch's permutation; the run is then no longer the uninterrupted one.
    public func restore(_ c: TrainingCheckpoint, dataChanged: Bool = false) throws(TrainingError) {
        let n = network.parameters.table.count
        guard c.parameters.count == n, c.ema.count == n, c.adamM.count == n, c.adamV.count == n else {
            throw .checkpoint(path: c.source, reason: "holds \(c.parameters.count) parameters, the model has \(n)")
        }
        guard c.batch == options.batch, c.length == options.length, c.seed == options.seed else {
            throw .checkpoint(
                path: c.source,
                reason: "was written with --batch \(c.batch) --length \(c.length) --seed \(c.seed); resume with the same values")
        }
        guard c.blockCount == blockCount || dataChanged else {
            throw .checkpoint(
                path: c.source,
                reason: "was written for \(c.blockCount) training blocks, the data now gives \(blockCount); resume with the same data and packing, or pass --data-changed to continue on the new blocks")
        }
        network.parameters.buffer.pointer.update(from: c.parameters, count: n)
        ema.shadow.buffer.pointer.update(from: c.ema, count: n)
        optimizer.m.pointer.update(from: c.adamM, count: n)
        optimizer.v.pointer.update(from: c.adamV, count: n)
        optimizer.stepCount = c.adamSteps
        ema.updateCount = c.emaUpdates
        step = c.step
        order = dataChanged
            ? DataOrder(blockCount: blockCount, seed: options.seed &+ 1, epoch: c.epoch + 1, cursor: 0)
            : DataOrder(blockCount: blockCount, seed: options.seed &+ 1, epoch: c.epoch, cursor: c.cursor)
        rng.pointee = SeededRandom(state: c.rngState)
    }

    /// The full training state, for `TrainingCheckpoint.write`.
    public func checkpoint() -> TrainingCheckpoint {
        TrainingCheckpoint(
            parameters: network.parameters.buffer.array, ema: ema.shadow.buffer.array, adamM: optimizer.m.array,
            adamV: optimizer.v.array, step: step, adamSteps: optimizer.stepCount, emaUpdates: ema.updateCount,
            epoch: order.epoch, cursor: order.cursor, rngState: rng.pointee.stateWords, batch: options.batch,
            length: options.length, seed: options.seed, blockCount: blockCount, source: "")
    }

    /// A network over the EMA weights (shares their storage).
    public var emaNetwork: SEDDNetwork { SEDDNetwork(config: network.config, parameters: ema.shadow) }
}
