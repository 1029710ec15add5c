import ArgumentParser
import Foundation
import SEDDKernels
import SEDDTraining

/// `sedd bench train`: training throughput (full steps: noise, forward, loss, backward, clipping,
/// AdamW, EMA) and how close it gets to the GEMM library at the model's shapes.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time training steps: tokens/s, GFLOP/s (3x forward FLOPs) and the fraction of a measured GEMM rate.")

    @Option(help: "small, medium, default-infill, or a config.json path.") var config: String = "default-infill"
    @Option(help: "Sequences per step.") var batch: Int = 4
    @Option(help: "Sequence length.") var length: Int = 512
    @Option(help: "Timed steps (after one warm-up step).") var steps: Int = 3
    @Flag(help: "Also print the time spent in each phase of the timed steps (forward, loss, backward).")
    var phases = false
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        guard batch >= 1, length >= 2, steps >= 1 else { throw CLIError("--batch and --steps must be positive and --length at least 2") }
        var cfg = try BenchConfigs.resolve(config)
        // The benchmark measures speed only; let it run at any length.
        cfg.length = max(cfg.length, length)
        let network = BenchConfigs.randomNetwork(cfg)
        PhaseTimer.reset()
        PhaseTimer.enabled = phases
        let r = try TrainBenchmark.run(network: network, configName: config, batch: batch, length: length, steps: steps)
        PhaseTimer.enabled = false
        // The step's floor: its products (forward once, backward twice the forward's FLOPs) at the measured
        // rate of the precision in use. Absorbing training runs the head on the masked positions only,
        // on average half of them (t is uniform and the masked fraction is t).
        let headRows = cfg.graph == .absorb ? batch * length / 2 : batch * length
        let plan = GEMMPlan.forward(cfg, batch: batch, length: length, headRows: headRows)
        let floorSeconds = 3 * plan.floorMs(precision: network.precision) / 1000
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var object = try JSONSerialization.jsonObject(with: encoder.encode(r)) as! [String: Any]
            object["precision"] = network.precision.rawValue
            object["floorSecondsPerStep"] = floorSeconds
            object["ratioToFloor"] = r.secondsPerStep / floorSeconds
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("config \(config): hidden \(cfg.hiddenSize), \(cfg.blocks) blocks, vocabulary \(cfg.vocabularySize); batch \(batch) x length \(length); \(r.threads) threads; precision \(network.precision); GEMM core \(GEMM.coreName)")
        print(String(format: "step             %.3f s", r.secondsPerStep))
        print(String(format: "tokens/s         %.0f", r.tokensPerSecond))
        print(String(format: "GFLOP/s          %.1f (3x forward FLOPs)", r.gflops))
        print(String(format: "GEMM GFLOP/s     %.1f ([%d, %d] x [%d, %d], best of 5)", r.gemmGflops, batch * length, cfg.hiddenSize, cfg.hiddenSize, 4 * cfg.hiddenSize))
        print(String(format: "fraction of GEMM %.2f", r.fractionOfGEMM))
        if phases {
            // The warm-up step is included (the benchmark times its steps as one block).
            print("phases over \(steps + 1) steps (ms):")
            for (phase, ms) in PhaseTimer.milliseconds where ms > 0 {
                print("  " + "\(phase)".padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%9.1f", ms))
            }
        }
        print(String(format: "FLOP floor       %.3f s per step (3x the forward's products at the measured %@ rate, head on %d rows): step is %.2fx the floor", floorSeconds, network.precision.rawValue, headRows, r.secondsPerStep / floorSeconds))
    }
}
