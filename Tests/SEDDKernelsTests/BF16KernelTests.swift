import SEDDKernels
import XCTest

/// The oneDNN bf16 products and the bf16 attention against Double oracles on bf16-rounded inputs.
final class BF16KernelTests: XCTestCase {
    var rng = SeededRandom(seed: 23)

    override func setUpWithError() throws {
        try XCTSkipUnless(OneDNN.isAvailable, "oneDNN has no CPU engine here")
    }

    /// Random values already representable in bf16, as floats and as bf16 patterns.
    func randomBF16(_ n: Int, scale: Double = 1) -> (FloatBuffer, ByteBuffer) {
        let f = FloatBuffer(count: n), b = ByteBuffer(byteCount: n * 2)
        for i in 0..<n {
            let v = BFloat16.fromFloat(Float(rng.nextGaussian() * scale))
            b.bf16[i] = v
            f[i] = BFloat16.toFloat(v)
        }
        return (f, b)
    }

    func testLinearForwardMatchesDoubleOnRoundedInputs() {
        for (M, N, K) in [(1, 16, 16), (7, 33, 20), (64, 48, 96), (130, 70, 64)] {
            let (x32, x16) = randomBF16(M * K)
            let w = FloatBuffer(count: N * K)
            for i in 0..<w.count { w[i] = Float(rng.nextGaussian()) }
            let bias = FloatBuffer(count: N)
            for i in 0..<N { bias[i] = Float(rng.nextGaussian()) }
            let packed = PackedBF16Weights(N: N, K: K)
            packed.refresh(from: w.pointer)
            let y = FloatBuffer(count: M * N)
            LinearBF16.forward(x: x16.bf16, weights: packed, bias: bias.pointer, y: .f32(y.pointer), M: M)
            for i in 0..<M {
                for j in 0..<N {
                    var s = Double(bias[j])
                    for k in 0..<K { s += Double(x32[i * K + k]) * Double(BFloat16.toFloat(packed.plain.bf16[j * K + k])) }
                    XCTAssertEqual(Double(y[i * N + j]), s, accuracy: 1e-4 * Double(K).squareRoot(), "\(M)x\(N)x\(K) at \(i),\(j)")
                }
            }
            // The plain copy is the weights rounded to bf16.
            for i in 0..<(N * K) { XCTAssertEqual(packed.plain.bf16[i], BFloat16.fromFloat(w[i])) }
        }
    }

    func testFusedGELUWithBF16OutputMatchesSeparateSteps() {
        let M = 40, N = 64, K = 32
        let (_, x16) = randomBF16(M * K)
        let w = FloatBuffer(count: N * K), bias = FloatBuffer(count: N)
        for i in 0..<w.count { w[i] = Float(rng.nextGaussian()) * 0.3 }
        for i in 0..<N { bias[i] = Float(rng.nextGaussian()) }
        let packed = PackedBF16Weights(N: N, K: K)
        packed.refresh(from: w.pointer)
        let pre = FloatBuffer(count: M * N), act = FloatBuffer(count: M * N)
        LinearBF16.forward(x: x16.bf16, weights: packed, bias: bias.pointer, y: .f32(pre.pointer), M: M)
        Activation.geluForwardNaive(pre.pointer, act.pointer, M * N)
        let fused = ByteBuffer(byteCount: M * N * 2)
        LinearBF16.forward(x: x16.bf16, weights: packed, bias: bias.pointer, y: .bf16(fused.bf16), M: M, gelu: true)
        for i in 0..<(M * N) {
            XCTAssertEqual(BFloat16.toFloat(fused.bf16[i]), act[i], accuracy: 1e-3 + abs(act[i]) * 0x1p-7, "at \(i)")
        }
    }

    func testLinearBackwardMatchesDoubleOnRoundedInputs() {
        let M = 37, N = 24, K = 40
        let (x32, x16) = randomBF16(48 * K)  // the products run on 48 rows; rows 37..<48 are stale input
        let (dy32, _) = randomBF16(M * N)
        let w = FloatBuffer(count: N * K)
        for i in 0..<w.count { w[i] = Float(rng.nextGaussian()) }
        let packed = PackedBF16Weights(N: N, K: K)
        packed.refresh(from: w.pointer)
        let dx = FloatBuffer(count: 48 * K), dW = FloatBuffer(count: N * K), db = FloatBuffer(count: N)
        for i in 0..<dW.count { dW[i] = 1 }  // accumulates
        let scratch = ByteBuffer(byteCount: 48 * N * 2)
        LinearBF16.backward(
            dy: dy32.pointer, dyScratch: scratch.bf16, x: x16.bf16, weights: packed, dx: dx.pointer, dWeight: dW.pointer,
            dBias: db.pointer, M: M, productRows: 48)
        let wr = (0..<(N * K)).map { Double(BFloat16.toFloat(packed.plain.bf16[$0])) }
        for i in 0..<M {
            for k in 0..<K {
                var s = 0.0
                for j in 0..<N { s += Double(dy32[i * N + j]) * wr[j * K + k] }
                XCTAssertEqual(Double(dx[i * K + k]), s, accuracy: 1e-4 * Double(N).squareRoot())
            }
        }
        for j in 0..<N {
            var sb = 0.0
            for i in 0..<M { sb += Double(dy32[i * N + j]) }
            XCTAssertEqual(Double(db[j]), sb, accuracy: 1e-4)
            for k in 0..<K {
                var s = 1.0
                for i in 0..<M { s += Double(dy32[i * N + j]) * Double(x32[i * K + k]) }
                // Rows 37..<48 of x hold other values: the zeroed gradient rows must cancel them.
                XCTAssertEqual(Double(dW[j * K + k]), s, accuracy: 1e-4 * Double(M).squareRoot())
            }
        }
    }

    func testRepeatedShapesReuseTheirPrimitive() {
        let (_, x16) = randomBF16(10 * 16)
        let w = FloatBuffer(count: 16 * 16)
        let packed = PackedBF16Weights(N: 16, K: 16)
        packed.refresh(from: w.pointer)
        let y = FloatBuffer(count: 10 * 16)
        LinearBF16.forward(x: x16.bf16, weights: packed, bias: nil, y: .f32(y.pointer), M: 10)
        let count = DNNLMatmul.cachedCount
        for _ in 0..<3 { LinearBF16.forward(x: x16.bf16, weights: packed, bias: nil, y: .f32(y.pointer), M: 10) }
        XCTAssertEqual(DNNLMatmul.cachedCount, count)
        LinearBF16.forward(x: x16.bf16, weights: packed, bias: nil, y: .f32(y.pointer), M: 9)
        XCTAssertEqual(DNNLMatmul.cachedCount, count + 1)
    }

    func testAttentionForwardAndBackwardMatchFP32() {
        for (B, L, heads, d) in [(1, 16, 2, 16), (2, 40, 3, 16)] {
            let H = heads * d
            let qkv = FloatBuffer(count: B * L * 3 * H)
            for i in 0..<qkv.count { qkv[i] = Float(rng.nextGaussian()) }
            // Rotary at position tables of the right length; fp32 path sees the rotated qkv too.
            let rot = RotaryTable(length: L, headDim: d)
            let q = ByteBuffer(byteCount: B * L * H * 2), k = ByteBuffer(byteCount: B * L * H * 2), v = ByteBuffer(byteCount: B * L * H * 2)
            rot.applySplitBF16(qkv.pointer, B: B, L: L, heads: heads, qScale: 1 / Float(d).squareRoot(), q: q.bf16, k: k.bf16, v: v.bf16)
            let out16 = ByteBuffer(byteCount: B * L * H * 2)
            let probs16 = FloatBuffer(count: B * heads * L * L)
            let scores = FloatBuffer(count: heads * L * L), p = ByteBuffer(byteCount: heads * L * L * 2)
            AttentionBF16.forward(q: q.bf16, k: k.bf16, v: v.bf16, out: out16.bf16, probs: probs16.pointer, scores: scores.pointer, p: p.bf16, B: B, L: L, heads: heads, headDim: d)
            let ref = FloatBuffer(count: B * L * H)
            Attention.forwardNaive(qkv: qkv.pointer, out: ref.pointer, B: B, L: L, heads: heads, headDim: d)
            let scale = ref.array.map(abs).max()!
            for i in 0..<ref.count { XCTAssertEqual(BFloat16.toFloat(out16.bf16[i]), ref[i], accuracy: 0.02 * scale, "forward at \(i)") }

            // Backward against the fp32 kernel on the same rotated qkv.
            let dOut = FloatBuffer(count: B * L * H)
            for i in 0..<dOut.count { dOut[i] = Float(rng.nextGaussian()) }
            let out32 = FloatBuffer(count: B * L * H), probs32 = FloatBuffer(count: B * heads * L * L)
            let scratch = FloatBuffer(count: 2 * L * L)
            Attention.forward(qkv: qkv.pointer, out: out32.pointer, probs: probs32.pointer, scratch: scratch.pointer, B: B, L: L, heads: heads, headDim: d)
            let d32 = FloatBuffer(count: B * L * 3 * H), d16 = FloatBuffer(count: B * L * 3 * H)
            Attention.backward(dOut: dOut.pointer, qkv: qkv.pointer, probs: probs32.pointer, dqkv: d32.pointer, scratch: scratch.pointer, B: B, L: L, heads: heads, headDim: d)
            let dO16 = ByteBuffer(byteCount: B * L * H * 2), dS16 = ByteBuffer(byteCount: heads * L * L * 2)
            let headGradients = FloatBuffer(count: 3 * L * H)
            AttentionBF16.backward(
                dOut: dOut.pointer, q: q.bf16, k: k.bf16, v: v.bf16, probs: probs16.pointer, dqkv: d16.pointer,
                dOutScratch: dO16.bf16, pScratch: p.bf16, dScoresScratch: dS16.bf16, dPScratch: scores.pointer,
                headGradients: headGradients.pointer, B: B, L: L, heads: heads, headDim: d)
            let gScale = d32.array.map(abs).max()!
            for i in 0..<d32.count { XCTAssertEqual(d16[i], d32[i], accuracy: 0.03 * gScale, "backward at \(i)") }
        }
    }
}
