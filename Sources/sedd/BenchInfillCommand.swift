import ArgumentParser
import Foundation
import InfillEngine
import SEDDKernels
import SEDDModel
import Tokenizers

/// `sedd bench infill`: latency of whole infills through the engine (layout, sampling, decoding,
/// scoring), as the daemon serves them, with the FLOP floor of the forward passes they run.
struct BenchInfill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infill",
        abstract: "Time repeated infills through the InfillEngine: p50/p95 against the FLOP floor at the measured GEMM rate.")

    @Option(help: "A model directory (config, weights, tokenizer); without it a random network of --config.")
    var model: String?
    @Option(help: "small, medium, default-infill, or a config.json path (when no --model).")
    var config: String = "default-infill"
    @Option(help: "Tokens in the hole.") var hole: Int = 32
    @Option(help: "Tokens in the window (text around the hole plus the hole).") var window: Int = 512
    @Option(help: "Sampling steps.") var steps: Int = 8
    @Option(help: "Timed infills (after one warm-up).") var repeats: Int = 10
    @Flag(help: "Also print where the time went: layout, healing, sampling, scoring, decoding (medians).")
    var stages = false
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        guard hole >= 1, window > hole, steps >= 1, repeats >= 1 else {
            throw CLIError("--hole, --steps and --repeats must be positive and --window larger than --hole")
        }
        let infill: InfillEngine
        if let model {
            infill = try InfillEngine.load(modelDirectory: URL(fileURLWithPath: model))
        } else {
            var cfg = try BenchConfigs.resolve(config)
            cfg.length = window
            let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>"])
            infill = InfillEngine(network: BenchConfigs.randomNetwork(cfg), tokenizer: tokenizer, name: cfg.name)
        }
        guard window <= infill.contextLength else {
            throw CLIError("--window \(window) is longer than the model's context of \(infill.contextLength) tokens")
        }
        let request = InfillRequest(
            segments: Self.segments(tokenizer: infill.tokenizer, tokens: window - hole), holeTokens: [hole], steps: steps,
            temperature: decoding.temperature, unmasking: decoding.unmasking, contextRefresh: decoding.contextRefresh, seed: 1)
        let first = try infill.infill(request)  // warm-up: weights packed, primitives created
        var times: [Double] = []
        var stageRuns: [InfillStageTimes] = []
        // With --stages the phase timers also run, to split the sampler's time into its forward passes
        // and the rest (probability rows and draws).
        PhaseTimer.reset()
        PhaseTimer.enabled = stages
        defer { PhaseTimer.enabled = false }
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let result = try infill.infill(request)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            stageRuns.append(result.stages)
        }
        times.sort()
        let p50 = BenchConfigs.percentile(times, 0.5), p95 = BenchConfigs.percentile(times, 0.95)
        // Forward passes as the engine counts them (healing, steps, denoiser, scorer when it needs
        // its own); the head sees at most the hole.
        let net = infill.network
        let passes = first.stages.forwardPasses
        let stageMedians = StageMedians(stageRuns)
        let forwardMs = PhaseTimer.milliseconds.filter { $0.0.isForwardTopLevel }.reduce(0) { $0 + $1.1 } / Double(repeats)
        let plan = GEMMPlan.forward(net.config, batch: 1, length: first.windowTokens, headRows: hole)
        let holeOnly = first.stages.holeOnlyPasses
        let holePlan = GEMMPlan.rowsOnly(net.config, batch: 1, length: first.windowTokens, rows: hole)
        let floor = plan.floorMs(precision: net.precision) * Double(passes - holeOnly)
            + (holeOnly > 0 ? holePlan.floorMs(precision: net.precision) * Double(holeOnly) : 0)
        let gflop = (plan.flops * Double(passes - holeOnly) + holePlan.flops * Double(holeOnly)) / 1e9
        if json {
            try BenchConfigs.printJSON([
                "model": model ?? config, "hole": hole, "windowTokens": first.windowTokens, "steps": steps,
                "repeats": repeats, "threads": Parallel.threadCount, "precision": net.precision.rawValue,
                "p50Ms": p50, "p95Ms": p95, "bestMs": times[0], "forwardPasses": passes, "holeOnlyPasses": holeOnly,
                "floorMs": floor, "ratioToFloor": p50 / floor, "gflop": gflop,
                "stagesMs": stageMedians.dictionary,
            ])
            return
        }
        print("infill \(model ?? net.config.name): \(hole)-token hole, \(first.windowTokens)-token window, \(steps) steps; \(Parallel.threadCount) threads; precision \(net.precision)")
        print(String(format: "  p50 %.1f ms, p95 %.1f ms, best %.1f ms over %d infills", p50, p95, times[0], repeats))
        let passText = holeOnly > 0 ? "\(passes) forward passes, \(holeOnly) of them on the hole only" : "\(passes) forward passes"
        print(String(format: "  FLOP floor %.1f ms (%@, %.1f GFLOP, at the measured %@ rate): p50 is %.2fx the floor", floor, passText, gflop, net.precision.rawValue, p50 / floor))
        if stages {
            print("  stages (medians over the timed infills):")
            for (name, ms) in stageMedians.rows { print(String(format: "    %-10@ %8.1f ms", name, ms)) }
            print(String(format: "    of which forward passes %.1f ms (mean, %d passes, phase timers on)", forwardMs, passes))
        }
    }

    /// Prefix and suffix text of about `tokens` tokens in all (source-like lines, split evenly).
    static func segments(tokenizer: any Tokenizer, tokens: Int) -> [String] {
        let line = "    let value = compute(index, scale: 0.5) // keep the running total in range\n"
        var text = ""
        while tokenizer.encode(text, allowSpecial: false).count < tokens + 64 { text += line }
        let ids = tokenizer.encode(text, allowSpecial: false)
        let before = tokens / 2, after = tokens - before
        let prefix = String(decoding: tokenizer.decodeBytes(Array(ids.prefix(before))), as: UTF8.self)
        let suffix = String(decoding: tokenizer.decodeBytes(Array(ids.suffix(after))), as: UTF8.self)
        return [prefix, suffix]
    }
}

/// Per-stage medians of repeated infills, in the engine's stage order.
struct StageMedians {
    let rows: [(String, Double)]

    init(_ runs: [InfillStageTimes]) {
        func median(_ value: (InfillStageTimes) -> Double) -> Double {
            runs.isEmpty ? 0 : BenchConfigs.percentile(runs.map(value).sorted(), 0.5)
        }
        rows = [
            ("layout", median { $0.layoutMs }), ("healing", median { $0.healingMs }),
            ("sampling", median { $0.samplingMs }), ("scoring", median { $0.scoringMs }),
            ("decoding", median { $0.decodingMs }),
        ]
    }

    var dictionary: [String: Double] { Dictionary(uniqueKeysWithValues: rows) }
}
