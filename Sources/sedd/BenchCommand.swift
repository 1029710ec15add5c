import ArgumentParser
import Foundation
import SEDDKernels
import SEDDModel

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure speed and print figures (benchmarks; tests never time anything).",
        subcommands: [BenchForward.self, BenchTrain.self, BenchInfill.self, BenchServe.self])
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

    /// Best and median of `times` (ms) and the given percentile.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
    }

    static func printJSON(_ object: [String: Any]) throws {
        print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
    }
}

struct BenchForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Time full forward passes (embedding to scatter) against the FLOP floor at the measured GEMM rate.")

    @Option(help: "small, medium, default-infill, or a config.json path.") var config: String = "small"
    @Option(help: "Sequence length.") var length: Int = 256
    @Option(help: "Batch size.") var batch: Int = 1
    @Option(help: "Timed repetitions (after one warm-up).") var repeats: Int = 5
    @Flag(help: "Leave out the output head (the block stack alone, as PyTorch peers are usually timed).")
    var noHead = false
    @Option(help: "Give the output head only this many rows (absorbing sampling's masked positions).")
    var headRows: Int?
    @Flag(help: "Also print the time spent in each phase (timers around every kernel).") var phases = false
    @Option(help: "After timing, sleep this many seconds and report the CPU the idle process used (spinning library threads).")
    var idleCheck: Double?
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        guard length >= 1, batch >= 1, repeats >= 1 else { throw CLIError("--length, --batch and --repeats must be positive") }
        var cfg = try BenchConfigs.resolve(config)
        cfg.length = max(cfg.length, length)
        let net = BenchConfigs.randomNetwork(cfg)
        let ws = ForwardWorkspace(config: cfg, batch: batch, length: length)
        for i in 0..<(batch * length) { ws.ids[i] = Int32(i % cfg.tokens) }
        for b in 0..<batch { ws.sigma[b] = 1 }
        let rows = noHead ? 0 : min(headRows ?? batch * length, batch * length)
        if rows < batch * length { ws.setHeadRows(Array(0..<rows)) }
        net.forward(ws)
        var times: [Double] = []
        for rep in 0..<repeats {
            if phases && rep == repeats - 1 {
                PhaseTimer.reset()
                PhaseTimer.enabled = true
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            net.forward(ws)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        PhaseTimer.enabled = false
        let idleCPU = idleCheck.map { Self.cpuWhileSleeping(seconds: $0) }
        times.sort()
        let median = BenchConfigs.percentile(times, 0.5), best = times[0]
        let plan = GEMMPlan.forward(cfg, batch: batch, length: length, headRows: rows)
        let floor = plan.floorMs(precision: net.precision)
        let gflop = plan.flops / 1e9
        let rate = plan.flops / 1e9 / (floor / 1000)
        if json {
            var report: [String: Any] = [
                "config": cfg.name, "length": length, "batch": batch, "threads": Parallel.threadCount,
                "precision": net.precision.rawValue, "head": !noHead, "headRows": rows, "gemmCore": GEMM.coreName,
                "medianMs": median, "bestMs": best, "gflop": gflop, "gflops": gflop / (best / 1000),
                "gemmRateGflops": rate, "floorMs": floor, "ratioToFloor": best / floor,
            ]
            if let idleCPU { report["idleCPUPercent"] = idleCPU }
            if phases { report["phasesMs"] = Dictionary(uniqueKeysWithValues: PhaseTimer.milliseconds.map { ("\($0.0)", $0.1) }) }
            try BenchConfigs.printJSON(report)
            return
        }
        print(String(format: "forward %@ L=%d B=%d threads=%d precision=%@ head rows=%d (OpenBLAS %@)", cfg.name, length, batch, Parallel.threadCount, net.precision.rawValue, rows, GEMM.coreName))
        print(String(format: "  median %.1f ms, best %.1f ms, %.1f GFLOP, %.0f GFLOP/s", median, best, gflop, gflop / (best / 1000)))
        print(String(format: "  FLOP floor %.1f ms (every product at its measured %@ rate, %.0f GFLOP/s overall): best is %.2fx the floor", floor, net.precision.rawValue, rate, best / floor))
        if let idleCPU, let idleCheck {
            print(String(format: "  idle: %.1f%% of one core used while sleeping %.1f s after the last pass", idleCPU, idleCheck))
        }
        if phases {
            // The attention sub-phases are inside `attention`: leave them out of the total.
            let nested: Set<PhaseTimer.Phase> = [.attentionScores, .softmax, .attentionValues]
            let total = PhaseTimer.milliseconds.filter { !nested.contains($0.0) }.reduce(0) { $0 + $1.1 }
            print(String(format: "  phases of the last pass (%.1f ms timed):", total))
            for (phase, ms) in PhaseTimer.milliseconds where ms > 0 {
                print("    " + "\(phase)".padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: "%8.2f ms  %5.1f%%", ms, 100 * ms / max(total, 1e-9)))
            }
        }
    }
}

extension BenchForward {
    /// CPU time (user + system, all threads) the process uses while its main thread sleeps, as a
    /// percentage of one core: library threads that spin between requests show up here.
    static func cpuWhileSleeping(seconds: Double) -> Double {
        func cpu() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let t = { (tv: timeval) in Double(tv.tv_sec) + Double(tv.tv_usec) / 1e6 }
            return t(usage.ru_utime) + t(usage.ru_stime)
        }
        let before = cpu(), start = DispatchTime.now().uptimeNanoseconds
        usleep(useconds_t(seconds * 1e6))
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return 100 * (cpu() - before) / wall
    }
}

/// The matrix products of one forward pass, with counts, and their floor at the measured rate.
struct GEMMPlan {
    enum Product: Hashable {
        /// y[M, N] = x[M, K] W^T, W a weight matrix (packed bf16 on the bf16 path).
        case linear(M: Int, N: Int, K: Int)
        /// One sequence's attention products, every head, for `queries` query rows: scores
        /// [queries, L] = q k^T, then out = P v.
        case attention(queries: Int, L: Int, d: Int, heads: Int)

        var flops: Double {
            switch self {
            case .linear(let M, let N, let K): return 2 * Double(M) * Double(N) * Double(K)
            case .attention(let Q, let L, let d, let heads): return 4 * Double(Q) * Double(L) * Double(d) * Double(heads)
            }
        }
    }
    var calls: [(Product, Int)]

    var flops: Double { calls.reduce(0) { $0 + $1.0.flops * Double($1.1) } }

    /// With `headRows` (the sampler's masked rows, one sequence's worth per batch row on average) the
    /// last block runs, as the engine does, only at those rows after its qkv product.
    static func forward(_ c: SEDDConfig, batch B: Int, length L: Int, headRows: Int? = nil) -> GEMMPlan {
        let H = c.hiddenSize, BL = B * L, R = headRows ?? BL
        let full = headRows == nil ? c.blocks : c.blocks - 1
        var calls: [(Product, Int)] = [
            (.linear(M: BL, N: 3 * H, K: H), c.blocks),
            (.linear(M: BL, N: H, K: H), full),
            (.linear(M: BL, N: 4 * H, K: H), full),
            (.linear(M: BL, N: H, K: 4 * H), full),
            (.attention(queries: L, L: L, d: c.headDim, heads: c.heads), full * B),
            (.linear(M: R, N: c.vocabularySize, K: H), 1),
        ]
        if headRows != nil {
            calls += [
                (.linear(M: R, N: H, K: H), 1), (.linear(M: R, N: 4 * H, K: H), 1), (.linear(M: R, N: H, K: 4 * H), 1),
                (.attention(queries: max(1, R / B), L: L, d: c.headDim, heads: c.heads), B),
            ]
        }
        return GEMMPlan(calls: calls)
    }

    /// A pass on `rows` rows only (the context cache's reuse pass): every block's products on those
    /// rows, their queries against all L keys, the head on them.
    static func rowsOnly(_ c: SEDDConfig, batch B: Int, length L: Int, rows R: Int) -> GEMMPlan {
        let H = c.hiddenSize
        return GEMMPlan(calls: [
            (.linear(M: R, N: 3 * H, K: H), c.blocks), (.linear(M: R, N: H, K: H), c.blocks),
            (.linear(M: R, N: 4 * H, K: H), c.blocks), (.linear(M: R, N: H, K: 4 * H), c.blocks),
            (.attention(queries: max(1, R / B), L: L, d: c.headDim, heads: c.heads), c.blocks * B),
            (.linear(M: R, N: c.vocabularySize, K: H), 1),
        ])
    }

    /// Times each distinct product (best of 5 after a warm-up) and sums count x best time.
    func floorMs(precision: Precision) -> Double {
        var total = 0.0
        for (product, count) in calls where product.flops > 0 {
            let time = precision == .bf16 ? Self.bestBF16(product) : Self.bestFP32(product)
            total += time * Double(count)
        }
        return total
    }

    static func best(_ body: () -> Void) -> Double {
        var best = Double.infinity
        for rep in 0..<6 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            if rep > 0 { best = min(best, ms) }
        }
        return best
    }

    static func filled(_ n: Int) -> FloatBuffer {
        let b = FloatBuffer(count: n)
        for i in 0..<n { b[i] = Float(i % 7) * 0.1 - 0.3 }
        return b
    }

    /// OpenBLAS, as the fp32 path calls it (attention: both products per head, heads side by side).
    static func bestFP32(_ p: Product) -> Double {
        switch p {
        case .linear(let M, let N, let K):
            let a = filled(M * K), b = filled(N * K), out = FloatBuffer(count: M * N)
            return best { GEMM.multiply(transA: false, transB: true, M: M, N: N, K: K, A: a.pointer, lda: K, B: b.pointer, ldb: K, C: out.pointer, ldc: N) }
        case .attention(let Q, let L, let d, let heads):
            let qkv = filled(L * 3 * heads * d), out = FloatBuffer(count: L * heads * d)
            let slots = max(2, Parallel.threadCount)
            let scratch = FloatBuffer(count: slots * L * L)
            // The kernel itself minus its softmax: products only, in the same parallel layout.
            return best {
                GEMM.withSingleThreadedCalls(parallel: Parallel.threadCount > 1) {
                    Parallel.forChunks(heads, grain: 1, maxChunks: slots) { chunk, range in
                        let s = scratch.pointer + chunk * L * L, H = heads * d
                        for h in range {
                            GEMM.multiply(transA: false, transB: true, M: Q, N: L, K: d, A: qkv.pointer + h * d, lda: 3 * H, B: qkv.pointer + H + h * d, ldb: 3 * H, C: s, ldc: L)
                            GEMM.multiply(transA: false, transB: false, M: Q, N: d, K: L, A: s, lda: L, B: qkv.pointer + 2 * H + h * d, ldb: 3 * H, C: out.pointer + h * d, ldc: H)
                        }
                    }
                }
            }
        }
    }

    /// oneDNN bf16 products as the bf16 path runs them: packed weights, batched attention heads.
    static func bestBF16(_ p: Product) -> Double {
        switch p {
        case .linear(let M, let N, let K):
            let x = ByteBuffer(byteCount: M * K * 2), out = FloatBuffer(count: M * N)
            let w = PackedBF16Weights(N: N, K: K), values = filled(N * K)
            w.refresh(from: values.pointer)
            withExtendedLifetime(values) {}
            return best { LinearBF16.forward(x: x.bf16, weights: w, bias: nil, y: .f32(out.pointer), M: M) }
        case .attention(let Q, let L, let d, let heads):
            let n = heads * L * d
            let q = ByteBuffer(byteCount: n * 2), k = ByteBuffer(byteCount: n * 2), v = ByteBuffer(byteCount: n * 2)
            let scores = FloatBuffer(count: heads * L * L), probs = ByteBuffer(byteCount: heads * L * L * 2)
            let out = ByteBuffer(byteCount: n * 2)
            let qk = MatmulDescription(
                batch: heads, M: Q, N: L, K: d, a: MatmulOperand(.bf16, rowStride: d, batchStride: L * d),
                b: MatmulOperand(.bf16, rowStride: 1, colStride: d, batchStride: L * d),
                c: MatmulOperand(.f32, rowStride: L, batchStride: L * L))
            let pv = MatmulDescription(
                batch: heads, M: Q, N: d, K: L, a: MatmulOperand(.bf16, rowStride: L, batchStride: L * L),
                b: MatmulOperand(.bf16, rowStride: d, batchStride: L * d),
                c: MatmulOperand(.bf16, rowStride: heads * d, batchStride: d))
            return best {
                DNNLMatmul.run(qk, a: q.pointer, b: k.pointer, c: scores.pointer)
                DNNLMatmul.run(pv, a: probs.pointer, b: v.pointer, c: out.pointer)
            }
        }
    }
}
