import Foundation
import SEDDKernels
import SEDDModel

/// Figures of `sedd bench train`: training throughput against a GEMM measured at the model's shapes.
public struct TrainBenchmark: Sendable, Codable {
    public var config: String
    public var batch: Int
    public var length: Int
    public var steps: Int
    public var threads: Int
    public var secondsPerStep: Double
    public var tokensPerSecond: Double
    /// 3 x forward FLOPs (forward + backward) per second, in GFLOP/s.
    public var gflops: Double
    /// Best of 5 for a [B*L, H] x [H, 4H] product, in GFLOP/s.
    public var gemmGflops: Double
    /// gflops / gemmGflops.
    public var fractionOfGEMM: Double

    /// Forward FLOPs per token: blocks (24 H^2 + 4 L H) + 2 H V (the matrix products only).
    public static func forwardFlopsPerToken(_ c: SEDDConfig, length L: Int) -> Double {
        let H = Double(c.hiddenSize)
        return Double(c.blocks) * (24 * H * H + 4 * Double(L) * H) + 2 * H * Double(c.vocabularySize)
    }

    /// Times `steps` full training steps (after one warm-up step) on random tokens, then the GEMM.
    public static func run(network: SEDDNetwork, configName: String, batch B: Int, length L: Int, steps: Int) throws -> TrainBenchmark {
        let c = network.config
        var options = TrainingOptions()
        options.steps = steps + 1
        options.batch = B
        options.length = L
        options.warmup = 0
        var rng = SeededRandom(seed: 11)
        let tokens = (0..<(B * L * 2)).map { _ in Int32(rng.next() % UInt64(c.tokens)) }
        let trainer = try Trainer(network: network, trainTokens: tokens, options: options)
        _ = trainer.trainStep()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { _ = trainer.trainStep() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        let tokensPerSecond = Double(B * L) / seconds
        let gflops = 3 * forwardFlopsPerToken(c, length: L) * tokensPerSecond / 1e9
        let gemm = gemmRate(M: B * L, K: c.hiddenSize, N: 4 * c.hiddenSize)
        return TrainBenchmark(
            config: configName, batch: B, length: L, steps: steps, threads: Parallel.threadCount, secondsPerStep: seconds,
            tokensPerSecond: tokensPerSecond, gflops: gflops, gemmGflops: gemm, fractionOfGEMM: gflops / gemm)
    }

    /// GFLOP/s of C[M, N] = A[M, K] B[K, N], best of 5.
    public static func gemmRate(M: Int, K: Int, N: Int) -> Double {
        let a = FloatBuffer(count: M * K), b = FloatBuffer(count: K * N), out = FloatBuffer(count: M * N)
        for i in 0..<a.count { a[i] = Float(i % 7) * 0.1 }
        for i in 0..<b.count { b[i] = Float(i % 5) * 0.1 }
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            GEMM.multiply(transA: false, transB: false, M: M, N: N, K: K, A: a.pointer, lda: K, B: b.pointer, ldb: N, C: out.pointer, ldc: N)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(M) * Double(N) * Double(K) / best / 1e9
    }
}
