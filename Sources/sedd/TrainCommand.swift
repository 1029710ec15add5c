import ArgumentParser
import Foundation
import SEDDTraining

#if canImport(Glibc)
    import Glibc
#endif

/// Set by SIGINT/SIGTERM; the training loop checks it between steps, saves and exits.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0

/// `sedd train`: the reference's training procedure on local text, from a model directory to one.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model (score entropy, AdamW, warmup, clipping, EMA) on files, directories or JSONL.",
        discussion: """
            --out becomes a model directory (config.json, model.safetensors with the EMA weights, tokenizer files) \
            plus checkpoint.safetensors and train-log.jsonl (one JSON object per step). Ctrl-C or SIGTERM saves a \
            checkpoint at the next step boundary; --resume continues it exactly.
            """)

    @Option(help: "The starting model directory (from `sedd init` or an earlier run).")
    var model: String

    @Option(parsing: .upToNextOption, help: "Files, directories (walked by extension) or JSONL corpora ({\"text\": ...} rows).")
    var data: [String]

    @Option(help: "Output directory.")
    var out: String

    @Option(help: "Total optimizer steps (a resumed run stops at the same total).")
    var steps: Int = 1000

    @Option(help: "Sequences per step.")
    var batch: Int = 8

    @Option(help: "Tokens per sequence (at most the model's config model.length).")
    var length: Int = 256

    @Option(help: "Peak learning rate (AdamW).")
    var lr: Float = 3e-4

    @Option(help: "Linear warmup steps (the reference uses 2500).")
    var warmup: Int = 100

    @Option(help: "Final steps of --steps over which the learning rate falls linearly to zero (default 0: constant, as the reference). A resumed run can add it.")
    var cooldown: Int = 0

    @Option(name: .customLong("eval-every"), help: "Validation loss of the EMA weights every N steps (0: never).")
    var evalEvery: Int = 0

    @Option(name: .customLong("save-every"), help: "Checkpoint every N steps (0: at the end and on a stop request only).")
    var saveEvery: Int = 0

    @Option(help: "Seed of the data order, noise and dropout.")
    var seed: UInt64 = 0

    @Option(name: .customLong("valid-fraction"), help: "Share of documents held out for validation (by hash of the text).")
    var validFraction: Double = 0.01

    @Option(help: "File extensions read from directories, comma-separated (default: common text and code).")
    var extensions: String?

    @Option(name: .customLong("infill-fraction"), help: "Share of blocks laid out infill-shaped (prefix, middle, padding, suffix); default 0.3 when the tokenizer has <|pad|>, else 0.")
    var infillFraction: Double?

    @Option(name: .customLong("hole-noise-fraction"), help: "Share of infill-shaped blocks, per step, noised only in their hole with the context clean (the editor's task); default 0: every block noised whole, as the reference.")
    var holeNoiseFraction: Double = 0

    @Option(name: .customLong("hole-shape"), help: "Where infill-shaped blocks' fills end: 'uniform' (anywhere, hole 1-64 tokens, default) or 'editor' (at a line end, a quarter of holes sized to the fill).")
    var holeShape: String = BlockPacking.HoleShape.uniform.rawValue

    @Flag(help: "Continue from the checkpoint in --out.")
    var resume = false

    @Flag(name: .customLong("data-changed"), help: "With --resume: the data or its packing (e.g. --hole-shape) differs from the checkpoint's; continue the weights, optimizer and step on the new blocks in a fresh order.")
    var dataChanged = false

    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        if dataChanged && !resume { throw CLIError("--data-changed only applies with --resume") }
        var o = TrainingOptions()
        o.steps = steps
        o.batch = batch
        o.length = length
        o.learningRate = lr
        o.warmup = warmup
        o.cooldown = cooldown
        o.evalEvery = evalEvery
        o.saveEvery = saveEvery
        o.seed = seed
        o.validationFraction = validFraction
        o.infillFraction = infillFraction
        o.holeNoiseFraction = holeNoiseFraction
        guard let shape = BlockPacking.HoleShape(rawValue: holeShape) else {
            throw CLIError("--hole-shape must be 'uniform' or 'editor', got '\(holeShape)'")
        }
        o.holeShape = shape
        var reader = CorpusReader()
        if let extensions {
            reader.extensions = Set(extensions.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ". ")).lowercased() })
        }
        let session = try TrainingSession(
            model: URL(fileURLWithPath: model), data: data, out: URL(fileURLWithPath: out), options: o, resume: resume, dataChanged: dataChanged,
            reader: reader)
        let c = session.corpus
        for line in session.skipped { log("skipped \(line)") }
        log("data: \(c.trainDocuments) training documents (\(c.trainTokens.count) tokens), \(c.validationDocuments) validation (\(c.validationTokens.count) tokens)")
        if resume { log("resumed at step \(session.trainer.step)") }
        if evalEvery > 0 && c.validationTokens.count < 2 { log("no validation documents: evaluation skipped") }

        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }
        let progress = ProgressDisplay(totalSteps: steps, startStep: session.trainer.step)
        try session.run(
            shouldStop: { stopRequested != 0 },
            report: { progress.show($0) },
            evaluation: { step, nats in progress.message(String(format: "step %d: validation %.4f nats/token (EMA)", step, nats)) })
        progress.finish()
        if stopRequested != 0 {
            log("stopped at step \(session.trainer.step): checkpoint saved; continue with --resume")
        } else {
            log("done: step \(session.trainer.step), model in \(out)")
        }
    }

    private func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
}

/// A one-line progress bar on a terminal (step, loss, tokens/s, ETA), plain log lines otherwise.
final class ProgressDisplay {
    let totalSteps: Int
    let startStep: Int
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var recent: [(tokens: Int, seconds: Double)] = []
    private var lastLoss = Double.nan
    private var skipped = 0

    init(totalSteps: Int, startStep: Int) {
        self.totalSteps = totalSteps
        self.startStep = startStep
    }

    func show(_ r: StepReport) {
        recent.append((r.tokens, r.seconds))
        if recent.count > 20 { recent.removeFirst() }
        lastLoss = r.loss
        if r.skipped {
            skipped += 1
            message("step \(r.step): non-finite gradient, optimizer step skipped")
        }
        let tokens = recent.reduce(0) { $0 + $1.tokens }, seconds = recent.reduce(0) { $0 + $1.seconds }
        let rate = seconds > 0 ? Double(tokens) / seconds : 0
        let stepSeconds = seconds / Double(max(recent.count, 1))
        let eta = Double(totalSteps - r.step) * stepSeconds
        let figures = String(format: "step %d/%d  loss %.4f  |g| %.3g  lr %.2e  ", r.step, totalSteps, r.loss,
                             r.gradientNorm, Double(r.learningRate)) + "\(Self.compact(rate)) tok/s  ETA \(Self.duration(eta))"
        if isTerminal {
            let width = 24
            let done = totalSteps > 0 ? min(width, width * r.step / totalSteps) : width
            let bar = String(repeating: "#", count: done) + String(repeating: "-", count: width - done)
            write("\r[\(bar)] \(figures)\u{1B}[K")
        } else if r.step % 10 == 0 || r.step == totalSteps || r.step == startStep + 1 {
            write(figures + "\n")
        }
    }

    /// A line that must not be overwritten by the bar.
    func message(_ s: String) { write((isTerminal ? "\r\u{1B}[K" : "") + s + "\n") }

    func finish() { if isTerminal { write("\n") } }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

    static func compact(_ x: Double) -> String {
        x >= 1e6 ? String(format: "%.2fM", x / 1e6) : x >= 1e3 ? String(format: "%.1fk", x / 1e3) : String(format: "%.0f", x)
    }

    static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" : t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }
}
