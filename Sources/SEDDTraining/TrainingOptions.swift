/// Hyperparameters of a training run. Defaults are the reference's (spec 7), except the warmup,
/// which a short local run cannot afford at 2500 steps.
public struct TrainingOptions: Sendable, Equatable {
    public var steps: Int = 1000
    public var batch: Int = 8
    public var length: Int = 256
    public var learningRate: Float = 3e-4
    public var warmup: Int = 100
    /// Final steps over which the learning rate falls linearly to zero (0: constant to the end, as
    /// the reference). See `scheduledLearningRate`.
    public var cooldown: Int = 0
    public var gradientClip: Double = 1
    public var adam = AdamW.Hyperparameters()
    public var emaDecay: Double = 0.9999
    /// Evaluate on the validation split every N steps (0: never).
    public var evalEvery: Int = 0
    /// Validation batches per evaluation.
    public var evalBatches: Int = 4
    /// Write a checkpoint every N steps (0: only at the end and on a stop request).
    public var saveEvery: Int = 0
    public var seed: UInt64 = 0
    /// Share of documents held out for validation.
    public var validationFraction: Double = 0.01
    /// Share of training blocks laid out as infills (prefix, middle, padding, suffix). Nil: the
    /// default (`BlockPacking.defaultInfillFraction`) when the model has a padding token, else 0.
    public var infillFraction: Double?
    /// Share of infill-shaped blocks, per step, whose noise covers only their hole (the context stays
    /// clean): the editor's task itself, the conditional ELBO of the hole. 0 (default) noises every
    /// block whole, as the reference does. See `Trainer.trainStep`.
    public var holeNoiseFraction: Double = 0
    /// Where the middle of an infill-shaped block ends and how large its hole is
    /// (`BlockPacking.HoleShape`): `.uniform` anywhere, `.editor` at line ends.
    public var holeShape: BlockPacking.HoleShape = .uniform

    public init() {}

    /// Checks ranges; the message names the command-line option.
    public func validate(modelLength: Int) throws(TrainingError) {
        func fail(_ name: String, _ why: String) -> TrainingError { .invalidOption(name: name, reason: why) }
        if steps < 0 { throw fail("--steps", "must be at least 0, got \(steps)") }
        if batch < 1 { throw fail("--batch", "must be at least 1, got \(batch)") }
        if length < 2 { throw fail("--length", "must be at least 2, got \(length)") }
        if length > modelLength {
            throw fail("--length", "\(length) is longer than the model's context (config model.length = \(modelLength))")
        }
        if !(learningRate > 0 && learningRate.isFinite) { throw fail("--lr", "must be a positive number, got \(learningRate)") }
        if warmup < 0 { throw fail("--warmup", "must be at least 0, got \(warmup)") }
        if !(0...steps).contains(cooldown) {
            throw fail("--cooldown", "must be between 0 and --steps (\(steps)), got \(cooldown)")
        }
        if evalEvery < 0 { throw fail("--eval-every", "must be at least 0, got \(evalEvery)") }
        if saveEvery < 0 { throw fail("--save-every", "must be at least 0, got \(saveEvery)") }
        if let f = infillFraction, !(0...1).contains(f) {
            throw fail("--infill-fraction", "must be in [0, 1], got \(f)")
        }
        if !(0...1).contains(holeNoiseFraction) {
            throw fail("--hole-noise-fraction", "must be in [0, 1], got \(holeNoiseFraction)")
        }
        if !(0..<1).contains(validationFraction) {
            throw fail("--valid-fraction", "must be in [0, 1), got \(validationFraction)")
        }
    }
}
