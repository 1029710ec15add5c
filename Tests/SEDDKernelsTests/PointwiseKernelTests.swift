import SEDDKernels
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// The vectorised bf16 helpers, the softmax exponential, the fused rotary and the inference attention
/// against their scalar / fp32 / Double twins.
final class PointwiseKernelTests: XCTestCase {
    var rng = SeededRandom(seed: 41)

    /// Values that exercise rounding: random magnitudes, exact ties, signed zero, subnormals, infinities.
    func awkwardFloats(_ n: Int) -> [Float] {
        var xs = (0..<n).map { _ in Float(rng.nextGaussian()) * powf(10, Float(rng.nextGaussian()) * 3) }
        let specials: [Float] = [0, -0.0, 1 + 0x1p-8, 1 + 3 * 0x1p-8, -(1 + 0x1p-8), 0x1p-140, -0x1p-130, .infinity,
                                 -.infinity, .greatestFiniteMagnitude, Float(bitPattern: 0x3F80_8000)]
        for (i, s) in specials.enumerated() where i < n { xs[i * 3 % n] = s }
        return xs
    }

    func testBF16VectorHelpersRoundExactlyLikeTheScalarOne() {
        let n = 16 * 40 + 7  // not a multiple of 16: the row helpers' tails run too
        var xs = awkwardFloats(n)
        xs[5] = .nan
        let src = FloatBuffer(xs)
        let row = UnsafeMutablePointer<UInt16>.allocate(capacity: n), scaled = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
        let stored = UnsafeMutablePointer<UInt16>.allocate(capacity: n), notNaN = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
        defer { [row, scaled, stored, notNaN].forEach { $0.deallocate() } }
        BFloat16.convertRow(src.pointer, to: row, count: n)
        BFloat16.convertRow(src.pointer, scaledBy: 0.125, to: scaled, count: n)
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(src.pointer + i).loadUnaligned(as: SIMD16<Float>.self)
            BFloat16.store(v, to: stored + i)
            BFloat16.storeNotNaN(v, to: notNaN + i)
            let rounded = BFloat16.round(v)
            for lane in 0..<16 { XCTAssertEqual(rounded[lane], BFloat16.fromFloat(xs[i + lane]), "round at \(i + lane)") }
            i += 16
        }
        for i in 0..<n {
            let want = BFloat16.fromFloat(xs[i])
            XCTAssertEqual(row[i], want, "convertRow at \(i) (\(xs[i]))")
            XCTAssertEqual(scaled[i], BFloat16.fromFloat(xs[i] * 0.125), "convertRow scaled at \(i)")
            if i < n / 16 * 16 {
                XCTAssertEqual(stored[i], want, "store at \(i)")
                if !xs[i].isNaN { XCTAssertEqual(notNaN[i], want, "storeNotNaN at \(i)") }
            }
        }
        XCTAssertTrue(BFloat16.toFloat(row[5]).isNaN)
        // load is exact (bf16 -> fp32 only appends zero bits).
        let loaded = BFloat16.load(row + 16)
        for lane in 0..<16 { XCTAssertEqual(loaded[lane].bitPattern, BFloat16.toFloat(row[16 + lane]).bitPattern) }
    }

    func testExpNonPositiveStaysWithinItsBound() {
        // The contract: relative error below 1e-5 on [-86, 0] (a bf16 rounding of P is up to 2e-3).
        var worst = 0.0
        var x: Float = -86
        while x <= 0 {
            let fast = FastMath.expNonPositive(SIMD16<Float>(repeating: x))[0]
            worst = max(worst, abs(Double(fast) / exp(Double(x)) - 1))
            x += 0.000_731
        }
        XCTAssertLessThan(worst, 1e-5, "relative error \(worst)")
        // The row maximum's own term is exactly 1, so the sum is >= 1.
        XCTAssertEqual(FastMath.expNonPositive(SIMD16<Float>(repeating: 0))[0], 1)
        let tiny = FastMath.expNonPositive(SIMD16<Float>(repeating: -1000))[0]
        XCTAssertTrue(tiny > 0 && tiny < 1e-37, "\(tiny)")
    }

    func testSplitRotaryMatchesTheFP32RotaryBitForBitAndRoundsItsOutputs() {
        // d = 16: only the scalar tail (half = 8); 40: one SIMD chunk and a tail; 64: SIMD only.
        for (B, L, heads, d) in [(1, 5, 2, 16), (2, 7, 3, 40), (1, 33, 2, 64)] {
            let H = heads * d, n = B * L * 3 * H
            let rot = RotaryTable(length: L + 3, headDim: d)
            let fused = FloatBuffer(count: n), reference = FloatBuffer(count: n)
            for i in 0..<n { fused[i] = Float(rng.nextGaussian()) * 3 }
            reference.pointer.update(from: fused.pointer, count: n)
            let q = ByteBuffer(byteCount: B * L * H * 2), k = ByteBuffer(byteCount: B * L * H * 2), v = ByteBuffer(byteCount: B * L * H * 2)
            let qScale: Float = 0.37
            rot.applySplitBF16(fused.pointer, B: B, L: L, heads: heads, qScale: qScale, q: q.bf16, k: k.bf16, v: v.bf16)
            rot.apply(reference.pointer, B: B, L: L, heads: heads)
            for i in 0..<n { XCTAssertEqual(fused[i].bitPattern, reference[i].bitPattern, "\(B)x\(L)x\(heads)x\(d) fp32 at \(i)") }
            for b in 0..<B {
                for l in 0..<L {
                    for h in 0..<heads {
                        for j in 0..<d {
                            let row = reference.pointer + (b * L + l) * 3 * H + h * d
                            let at = ((b * heads + h) * L + l) * d + j
                            XCTAssertEqual(q.bf16[at], BFloat16.fromFloat(row[j] * qScale), "q \(b),\(l),\(h),\(j)")
                            XCTAssertEqual(k.bf16[at], BFloat16.fromFloat(row[H + j]), "k \(b),\(l),\(h),\(j)")
                            XCTAssertEqual(v.bf16[at], BFloat16.fromFloat(row[2 * H + j]), "v \(b),\(l),\(h),\(j)")
                        }
                    }
                }
            }
        }
    }
}

/// `AttentionBF16.forwardInference` (unnormalised bf16 P, normalised after P v) against a Double
/// softmax attention on the very bf16 heads it reads, and against the training forward.
final class InferenceAttentionTests: XCTestCase {
    var rng = SeededRandom(seed: 43)

    override func setUpWithError() throws {
        try XCTSkipUnless(OneDNN.isAvailable, "oneDNN has no CPU engine here")
    }

    func testInferenceAttentionMatchesDoubleOnItsBF16Heads() {
        // L = 16: one 16-wide chunk per row; 37: a 32-wide step and a 5-lane tail; 53: 32 + 16 + 5.
        for (B, L, heads, d) in [(1, 16, 2, 16), (2, 37, 3, 32), (1, 53, 2, 64)] {
            let H = heads * d, count = B * heads * L * d
            func heads16(scale: Double) -> ByteBuffer {
                let buffer = ByteBuffer(byteCount: count * 2)
                for i in 0..<count { buffer.bf16[i] = BFloat16.fromFloat(Float(rng.nextGaussian() * scale)) }
                return buffer
            }
            let q = heads16(scale: 0.5), k = heads16(scale: 1), v = heads16(scale: 1)
            // Row (b 0, head 0, position 3) with large scores (|s| up to ~100): a near one-hot softmax
            // whose exponentials underflow for most entries.
            for j in 0..<d { q.bf16[3 * d + j] = BFloat16.fromFloat(BFloat16.toFloat(q.bf16[3 * d + j]) * 60) }
            let out = ByteBuffer(byteCount: B * L * H * 2)
            let scores = FloatBuffer(count: heads * L * L), p = ByteBuffer(byteCount: heads * L * L * 2)
            let rowScales = FloatBuffer(count: heads * L), values = FloatBuffer(count: L * H)
            AttentionBF16.forwardInference(
                q: q.bf16, k: k.bf16, v: v.bf16, out: out.bf16, scores: scores.pointer, p: p.bf16,
                rowScales: rowScales.pointer, values: values.pointer, B: B, L: L, heads: heads, headDim: d)
            let trainingOut = ByteBuffer(byteCount: B * L * H * 2), probs = FloatBuffer(count: B * heads * L * L)
            AttentionBF16.forward(
                q: q.bf16, k: k.bf16, v: v.bf16, out: trainingOut.bf16, probs: probs.pointer, scores: scores.pointer,
                p: p.bf16, B: B, L: L, heads: heads, headDim: d)

            var maxV = 0.0
            for i in 0..<count { maxV = max(maxV, abs(Double(BFloat16.toFloat(v.bf16[i])))) }
            // Error budget, each term <= 2^-9 max|v| (bf16 unit roundoff u = 2^-9 relative): P's
            // entries are rounded once (the weighted average moves by <= u max|v|), the row sum is
            // taken over the unrounded exponentials (1/sum off by <= u relative), and the output is
            // rounded once. The exp approximation (1e-5) and fp32 accumulation add far less. The
            // scores carry no rounding of their own beyond fp32 (q, k are the same bf16 values here).
            let tolerance = 4 * 0x1p-9 * maxV
            let truth = DoubleAttentionOracle.output(q: q.bf16, k: k.bf16, v: v.bf16, B: B, L: L, heads: heads, d: d)
            for at in 0..<(B * L * H) {
                let got = Double(BFloat16.toFloat(out.bf16[at]))
                XCTAssertEqual(got, truth[at], accuracy: tolerance, "\(B)x\(L)x\(heads)x\(d) at flat \(at)")
                // The two bf16 paths differ only in where 1/sum is applied: each within the budget
                // above of the truth, so within twice it of each other.
                XCTAssertEqual(got, Double(BFloat16.toFloat(trainingOut.bf16[at])), accuracy: 2 * tolerance)
            }
        }
    }
}
