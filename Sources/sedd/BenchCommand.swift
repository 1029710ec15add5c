import ArgumentParser
import Foundation
import SEDDKernels
import SEDDModel

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure speed and print figures (benchmarks; tests never time anything).",
        subcommands: [BenchForward.self, BenchTrain.self, BenchServe.self])
}

/// Model shapes by name, or a config file.
enum BenchConfigs {
    static func resolve(_ name: String) throws -> SEDDConfig {
        switch name {
        case "small": return SEDDConfig(tokens: 50257, graph: .absorb, noise: .loglinear, name: "small", hiddenSize: 768, condDim: 128, heads: 12, blocks: 12, length: 1024)
        case "medium": return SEDDConfig(tokens: 50257, graph: .absorb, noise: .loglinear, name: "medium", hiddenSize: 1024, condDim: 128, heads: 16, blocks: 24, length: 1024)
        case "default-infill": return SEDDConfig(tokens: 16383, graph: .absorb, noise: .loglinear, name: "infill-384x6", hiddenSize: 384, condDim: 128, heads: 6, blocks: 6, length: 512)
        default:
            guard FileManager.default.fileExists(atPath: name) else {
                throw CLIError("--config must be small, medium, default-infill or a config.json path; '\(name)' is none of these")
            }
            return try SEDDConfig.load(from: URL(fileURLWithPath: name))
        }
    }

    /// A network with random weights everywhere (timing does not depend on the values).
    static func randomNetwork(_ config: SEDDConfig) -> SEDDNetwork {
        let store = ParameterStore(table: ParameterTable(config: config))
        Initialization.initialize(store, config: config, seed: 1)
        var rng = SeededRandom(seed: 2)
        for name in ["output_layer.linear.weight", "output_layer.adaLN_modulation.weight"] {
            let e = store.table.entry(name)!
            for i in 0..<e.count { store.buffer[e.offset + i] = (rng.nextFloat() - 0.5) * 0.02 }
        }
        return SEDDNetwork(config: config, parameters: store)
    }
}

struct BenchForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward", abstract: "Time full forward passes (embedding to scatter) against the GEMM floor.")

    @Option(help: "small, medium, default-infill, or a config.json path.") var config: String = "small"
    @Option(help: "Sequence length.") var length: Int = 256
    @Option(help: "Batch size.") var batch: Int = 1
    @Option(help: "Timed repetitions (after one warm-up).") var repeats: Int = 5
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        guard length >= 1, batch >= 1, repeats >= 1 else { throw CLIError("--length, --batch and --repeats must be positive") }
        let cfg = try BenchConfigs.resolve(config)
        let net = BenchConfigs.randomNetwork(cfg)
        let ws = ForwardWorkspace(config: cfg, batch: batch, length: length)
        for i in 0..<(batch * length) { ws.ids[i] = Int32(i % cfg.tokens) }
        for b in 0..<batch { ws.sigma[b] = 1 }
        net.forward(ws)
        var times: [Double] = []
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            net.forward(ws)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        let median = times[times.count / 2], best = times[0]
        let plan = GEMMPlan.forward(cfg, batch: batch, length: length)
        let floor = plan.floorMs()
        let gflop = plan.flops / 1e9
        let report: [String: Any] = [
            "config": cfg.name, "length": length, "batch": batch, "threads": Parallel.threadCount, "gemmCore": GEMM.coreName,
            "medianMs": median, "bestMs": best, "gflop": gflop, "gflops": gflop / (best / 1000),
            "gemmRateGflops": plan.flops / 1e9 / (floor / 1000), "floorMs": floor, "fractionOfGemmRate": floor / best,
        ]
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "forward %@ L=%d B=%d threads=%d (OpenBLAS %@)", cfg.name, length, batch, Parallel.threadCount, GEMM.coreName))
            print(String(format: "  median %.1f ms, best %.1f ms, %.1f GFLOP, %.0f GFLOP/s", median, best, gflop, gflop / (best / 1000)))
            print(String(format: "  GEMM floor %.1f ms (the same FLOPs at the measured GEMM rate, %.0f GFLOP/s): %.0f%% of it", floor, plan.flops / 1e9 / (floor / 1000), 100 * floor / best))
        }
    }
}

/// The matrix products of one forward pass, with counts, and their floor at the measured GEMM rate.
struct GEMMPlan {
    struct Shape: Hashable { var M: Int; var N: Int; var K: Int; var transB: Bool }
    var calls: [(Shape, Int)]

    var flops: Double { calls.reduce(0) { $0 + 2 * Double($1.0.M * $1.0.N * $1.0.K * $1.1) } }

    static func forward(_ c: SEDDConfig, batch B: Int, length L: Int, headRows: Int? = nil) -> GEMMPlan {
        let H = c.hiddenSize, nh = c.heads, d = c.headDim, BL = B * L
        return GEMMPlan(calls: [
            (Shape(M: BL, N: 3 * H, K: H, transB: true), c.blocks),
            (Shape(M: BL, N: H, K: H, transB: true), c.blocks),
            (Shape(M: BL, N: 4 * H, K: H, transB: true), c.blocks),
            (Shape(M: BL, N: H, K: 4 * H, transB: true), c.blocks),
            (Shape(M: L, N: L, K: d, transB: true), c.blocks * B * nh),
            (Shape(M: L, N: d, K: L, transB: false), c.blocks * B * nh),
            (Shape(M: headRows ?? BL, N: c.vocabularySize, K: H, transB: true), 1),
        ])
    }

    /// Times each distinct shape (best of 5 after a warm-up) and sums count x best time.
    func floorMs() -> Double {
        var total = 0.0
        for (s, count) in calls where s.M > 0 {
            let a = FloatBuffer(count: s.M * s.K), b = FloatBuffer(count: s.K * s.N), out = FloatBuffer(count: s.M * s.N)
            for i in 0..<a.count { a[i] = Float(i % 7) * 0.1 }
            for i in 0..<b.count { b[i] = Float(i % 5) * 0.1 }
            var best = Double.infinity
            for rep in 0..<6 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                GEMM.multiply(transA: false, transB: s.transB, M: s.M, N: s.N, K: s.K, A: a.pointer, lda: s.K, B: b.pointer, ldb: s.transB ? s.K : s.N, C: out.pointer, ldc: s.N)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                if rep > 0 { best = min(best, ms) }
            }
            total += best * Double(count)
        }
        return total
    }
}
