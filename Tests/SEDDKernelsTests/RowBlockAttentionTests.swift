import SEDDKernels
import XCTest

/// `AttentionBF16.forwardInferenceRowBlocks` (one region, per-thread one-thread oneDNN products)
/// against its twin `forwardInference` (the oracle: batched products over every head) and a Double
/// softmax attention on the same bf16 heads.
final class RowBlockAttentionTests: XCTestCase {
    var rng = SeededRandom(seed: 71)

    override func setUpWithError() throws {
        try XCTSkipUnless(OneDNN.isAvailable, "oneDNN has no CPU engine here")
    }

    func heads16(_ count: Int, scale: Double) -> ByteBuffer {
        let buffer = ByteBuffer(byteCount: count * 2)
        for i in 0..<count { buffer.bf16[i] = BFloat16.fromFloat(Float(rng.nextGaussian() * scale)) }
        return buffer
    }

    func testRowBlocksMatchTheBatchedInferenceAttentionAndDouble() {
        // (B, L, heads, d, rowBlock): blocks that divide L, a tail block (L = 53 in 16s: 3 x 16 + 5),
        // one block larger than L (capped), items fewer than threads (one head, one block), and the
        // infill shape's head size with several blocks per head.
        for (B, L, heads, d, R) in [(1, 64, 2, 16, 16), (2, 53, 3, 32, 16), (1, 37, 1, 64, 64), (1, 20, 1, 16, 128), (1, 256, 3, 64, 64)] {
            let H = heads * d, count = B * heads * L * d
            let q = heads16(count, scale: 0.5), k = heads16(count, scale: 1), v = heads16(count, scale: 1)
            // A near one-hot row (scores up to ~100): most exponentials underflow.
            for j in 0..<d { q.bf16[3 * d + j] = BFloat16.fromFloat(BFloat16.toFloat(q.bf16[3 * d + j]) * 60) }
            let fused = ByteBuffer(byteCount: B * L * H * 2), batched = ByteBuffer(byteCount: B * L * H * 2)
            let scratch = RowBlockAttentionScratch(length: L, headDim: d, rowBlock: R)
            AttentionBF16.forwardInferenceRowBlocks(
                q: q.bf16, k: k.bf16, v: v.bf16, out: fused.bf16, scratch: scratch, B: B, L: L, heads: heads, headDim: d)
            let scores = FloatBuffer(count: heads * L * L), p = ByteBuffer(byteCount: heads * L * L * 2)
            let rowScales = FloatBuffer(count: heads * L), values = FloatBuffer(count: L * H)
            AttentionBF16.forwardInference(
                q: q.bf16, k: k.bf16, v: v.bf16, out: batched.bf16, scores: scores.pointer, p: p.bf16,
                rowScales: rowScales.pointer, values: values.pointer, B: B, L: L, heads: heads, headDim: d)

            var maxV = 0.0
            for i in 0..<count { maxV = max(maxV, abs(Double(BFloat16.toFloat(v.bf16[i])))) }
            // The Double bound is `InferenceAttentionTests`' (one rounding of P, the unrounded row sum,
            // one rounding of the output: 4 x 2^-9 max|v| covers all three). Against the batched twin:
            // the same rounding steps on scores that may differ in the last fp32 bit (oneDNN may
            // accumulate a row block in another order), so a P entry or an output can land one bf16
            // step away: 2 x 2^-8 max|v| (two output ulps at the largest magnitude).
            let tolerance = 4 * 0x1p-9 * maxV, twinTolerance = 2 * 0x1p-8 * maxV
            let truth = DoubleAttentionOracle.output(q: q.bf16, k: k.bf16, v: v.bf16, B: B, L: L, heads: heads, d: d)
            for at in 0..<(B * L * H) {
                let got = Double(BFloat16.toFloat(fused.bf16[at]))
                let twin = Double(BFloat16.toFloat(batched.bf16[at]))
                XCTAssertEqual(got, truth[at], accuracy: tolerance, "\(B)x\(L)x\(heads)x\(d) R \(R) at flat \(at)")
                XCTAssertEqual(got, twin, accuracy: twinTolerance, "twin, \(B)x\(L)x\(heads)x\(d) R \(R) at flat \(at)")
            }
        }
    }

    /// A product first created for the process's OpenMP team, then run by two threads at once on
    /// their own slots: each per-thread primitive must compute every element of its C (C starts as
    /// NaN, so an element left out fails) and agree with the shared primitive and with Double.
    func testPerThreadProductsComputeEveryElementConcurrently() {
        let M = 96, N = 80, K = 64
        let a = heads16(M * K, scale: 1), b = heads16(K * N, scale: 1)
        let d = MatmulDescription(
            M: M, N: N, K: K, a: MatmulOperand(.bf16, rowStride: K), b: MatmulOperand(.bf16, rowStride: N),
            c: MatmulOperand(.f32, rowStride: N))
        let shared = FloatBuffer(count: M * N)
        DNNLMatmul.run(d, a: a.bf16, b: b.bf16, c: shared.pointer)
        let perThread = FloatBuffer(count: M * N * 2)
        for i in 0..<perThread.count { perThread[i] = .nan }
        Parallel.forChunks(2, grain: 1, maxChunks: 2) { slot, range in
            for r in range { DNNLMatmulPerThread.run(d, slot: slot, a: a.bf16, b: b.bf16, c: perThread.pointer + r * M * N) }
        }
        for copy in 0..<2 {
            for i in 0..<(M * N) {
                var want = 0.0
                for t in 0..<K { want += Double(BFloat16.toFloat(a.bf16[(i / N) * K + t])) * Double(BFloat16.toFloat(b.bf16[t * N + i % N])) }
                // fp32 accumulation of 64 exact bf16 products: far inside 1e-4 relative.
                XCTAssertEqual(Double(perThread[copy * M * N + i]), want, accuracy: 1e-4 * max(1, abs(want)), "copy \(copy) at \(i)")
                XCTAssertEqual(perThread[copy * M * N + i], shared[i], accuracy: 1e-4 * max(1, abs(shared[i])))
            }
        }
    }
}
