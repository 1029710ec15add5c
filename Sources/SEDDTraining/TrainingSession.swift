import Foundation
import SEDDModel
import Tokenizers

/// A whole `sedd train` run: model directory and data in, a model directory out.
///
/// The out directory holds `config.json`, `model.safetensors` (the EMA weights, loadable with
/// `ModelDirectory.load`), the tokenizer files, `checkpoint.safetensors` (the full training state)
/// and `train-log.jsonl`.
public final class TrainingSession {
    public let trainer: Trainer
    public let outDirectory: URL
    public let tokenizer: any Tokenizer
    public let corpus: TokenizedCorpus
    /// Inputs the corpus reader skipped, one line each.
    public let skipped: [String]
    /// The config's `sedd` section completed from the tokenizer (ids of end-of-text, padding, language
    /// tags); the saved `config.json` records it.
    public let extras: SEDDExtras
    /// How blocks were packed (by language, with infill-shaped blocks), or nil for plain packing.
    public let packing: BlockPacking?
    let log: TrainingLog
    let validationBlocks: [[Int32]]
    let evaluator: ELBOEvaluator

    /// Loads the model, reads and packs the data, prepares the out directory and, with `resume`,
    /// restores the checkpoint found there (`dataChanged`: on blocks that differ from its own, see
    /// `Trainer.restore`).
    public init(
        model: URL, data: [String], out: URL, options: TrainingOptions, resume: Bool, dataChanged: Bool = false,
        reader: CorpusReader = CorpusReader()
    ) throws {
        let network = try ModelDirectory.load(model)
        let config = network.config
        try options.validate(modelLength: config.length)
        tokenizer = try ModelTokenizer.load(directory: model, config: config)
        let eot = try ModelTokenizer.endOfText(tokenizer, config: config, directory: model)
        let read = try reader.read(data)
        skipped = read.skipped
        extras = ModelTokenizer.completedExtras(config.extras, tokenizer: tokenizer)
        packing = try ModelTokenizer.packing(
            extras: extras, length: options.length, infillFraction: options.infillFraction, seed: options.seed,
            holeShape: options.holeShape, tokenizer: tokenizer)
        if let packing {
            corpus = TokenizedCorpus(
                documents: read.documents, tokenizer: tokenizer, endOfText: eot,
                validationFraction: options.validationFraction, packing: packing)
        } else {
            corpus = TokenizedCorpus(
                documents: read.documents, tokenizer: tokenizer, endOfText: eot, validationFraction: options.validationFraction)
        }
        if corpus.trainDocuments == 0 {
            throw TrainingError.noDocuments(
                paths: data,
                reason: "all \(corpus.validationDocuments) documents fell into the validation split; lower --valid-fraction")
        }
        trainer = try Trainer(network: network, trainTokens: corpus.trainTokens, options: options, holes: corpus.trainHoles)

        outDirectory = out
        let fm = FileManager.default
        let checkpointURL = out.appendingPathComponent(TrainingCheckpoint.fileName)
        if resume {
            try trainer.restore(TrainingCheckpoint.read(from: checkpointURL), dataChanged: dataChanged)
        } else if fm.fileExists(atPath: checkpointURL.path) {
            throw TrainingError.invalidOption(
                name: "--out", reason: "\(out.path) already holds a training checkpoint; pass --resume to continue it or choose another directory")
        }
        do { try fm.createDirectory(at: out, withIntermediateDirectories: true) } catch {
            throw TrainingError.io(path: out.path, reason: "cannot create the out directory: \(error.localizedDescription)")
        }
        do { try tokenizer.save(to: out) } catch {
            throw TrainingError.io(path: out.path, reason: "cannot write the tokenizer files: \(error.description)")
        }
        log = try TrainingLog(url: out.appendingPathComponent(TrainingLog.fileName), keepThrough: resume ? trainer.step : nil)

        var valid = TokenizedCorpus.blocks(corpus.validationTokens, length: options.length).map { Array($0) }
        if valid.isEmpty && corpus.validationTokens.count >= 2 { valid = [Array(corpus.validationTokens.prefix(options.length))] }
        validationBlocks = Array(valid.prefix(options.evalBatches * options.batch))
        evaluator = ELBOEvaluator(network: trainer.emaNetwork, batch: options.batch)
    }

    /// Trains until `options.steps` or until `shouldStop` returns true (checked between steps), then
    /// writes a checkpoint and the model. `report` sees every step and each evaluation.
    public func run(shouldStop: () -> Bool, report: (StepReport) -> Void, evaluation: (Int, Double) -> Void) throws {
        let o = trainer.options
        while trainer.step < o.steps && !shouldStop() {
            let r = trainer.trainStep()
            log.write(r)
            report(r)
            if o.evalEvery > 0 && r.step % o.evalEvery == 0, let nats = validate() {
                log.writeEvaluation(step: r.step, natsPerToken: nats, blocks: validationBlocks.count)
                evaluation(r.step, nats)
            }
            if o.saveEvery > 0 && r.step % o.saveEvery == 0 && r.step < o.steps { try save() }
            if o.cooldown > 0 && r.step == o.steps - o.cooldown { try saveBeforeCooldown() }
        }
        try save()
    }

    /// The checkpoint that lets a run go on at its peak rate after its cooldown: the state of the
    /// last constant-rate step, kept beside the rolling one (warmup-stable-decay continues from
    /// the stable phase; annealed weights do not take well to the peak rate again).
    public static let beforeCooldownFileName = "checkpoint-before-cooldown.safetensors"

    func saveBeforeCooldown() throws {
        try trainer.checkpoint().write(to: outDirectory.appendingPathComponent(Self.beforeCooldownFileName))
    }

    /// Validation loss per token of the EMA weights on the held-out blocks, with a fixed noise draw so
    /// successive evaluations are comparable. Nil when there is no validation data.
    public func validate() -> Double? {
        guard !validationBlocks.isEmpty else { return nil }
        // The EMA moved since the last evaluation: its bf16 copies (if that path runs) must follow.
        evaluator.network.parametersDidChange()
        return evaluator.evaluate(blocks: validationBlocks, bytes: 0, samples: 1, seed: trainer.options.seed ^ 0x5EED_E7A1)
            .natsPerToken
    }

    /// Writes the checkpoint, then the model directory (config, EMA weights), each atomically.
    public func save() throws {
        try trainer.checkpoint().write(to: outDirectory.appendingPathComponent(TrainingCheckpoint.fileName))
        var config = trainer.network.config
        config.extras = extras
        do {
            try config.jsonData().write(to: outDirectory.appendingPathComponent(ModelDirectory.configFile), options: .atomic)
            try ModelDirectory.saveWeights(
                trainer.ema.shadow, to: outDirectory.appendingPathComponent(ModelDirectory.weightFiles[0]),
                metadata: ["step": "\(trainer.step)", "weights": "ema"])
        } catch {
            throw TrainingError.io(path: outDirectory.path, reason: "cannot write the model: \(error)")
        }
    }
}
