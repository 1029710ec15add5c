import SEDDKernels
import XCTest

/// Optimised kernels against their naive twins on random shapes, including ones that are not
/// multiples of the SIMD width.
final class KernelTests: XCTestCase {
    var rng = SeededRandom(seed: 11)

    func random(_ n: Int) -> FloatBuffer {
        let b = FloatBuffer(count: n)
        for i in 0..<n { b[i] = Float(rng.nextGaussian()) }
        return b
    }

    func testGEMMMatchesNaiveOnOddShapesAndTransposes() {
        for (M, N, K) in [(1, 1, 1), (3, 17, 5), (33, 7, 65), (64, 48, 16), (5, 129, 31)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let A = random(M * K), B = random(K * N)
                    let C1 = random(M * N), C2 = FloatBuffer(C1.array)
                    let lda = transA ? M : K, ldb = transB ? K : N
                    GEMM.multiply(transA: transA, transB: transB, M: M, N: N, K: K, alpha: 0.5, A: A.pointer, lda: lda, B: B.pointer, ldb: ldb, beta: 0.25, C: C1.pointer, ldc: N)
                    GEMM.multiplyNaive(transA: transA, transB: transB, M: M, N: N, K: K, alpha: 0.5, A: A.pointer, lda: lda, B: B.pointer, ldb: ldb, beta: 0.25, C: C2.pointer, ldc: N)
                    for i in 0..<(M * N) { XCTAssertEqual(C1[i], C2[i], accuracy: 1e-4 * Float(K)) }
                }
            }
        }
    }

    func testAttentionMatchesNaive() {
        for (B, L, heads, d) in [(1, 5, 1, 4), (2, 19, 3, 8), (1, 33, 2, 16)] {
            let H = heads * d
            let qkv = random(B * L * 3 * H)
            let out = FloatBuffer(count: B * L * H), ref = FloatBuffer(count: B * L * H)
            let scratch = FloatBuffer(count: 2 * L * L)
            Attention.forward(qkv: qkv.pointer, out: out.pointer, probs: nil, scratch: scratch.pointer, B: B, L: L, heads: heads, headDim: d)
            Attention.forwardNaive(qkv: qkv.pointer, out: ref.pointer, B: B, L: L, heads: heads, headDim: d)
            for i in 0..<out.count { XCTAssertEqual(out[i], ref[i], accuracy: 1e-5) }
        }
    }

    func testLayerNormModulatedMatchesDefinition() {
        let B = 2, L = 3, H = 37
        let x = random(B * L * H), w = random(H), mod = random(B * 2 * H)
        let out = FloatBuffer(count: B * L * H)
        LayerNorm.forwardModulated(x: x.pointer, weight: w.pointer, shift: mod.pointer, scale: mod.pointer + H, modStride: 2 * H, out: out.pointer, mean: nil, rstd: nil, B: B, L: L, H: H)
        for r in 0..<(B * L) {
            let row = (0..<H).map { Double(x[r * H + $0]) }
            let mean = row.reduce(0, +) / Double(H)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(H)
            let b = r / L
            for j in 0..<H {
                let n = (row[j] - mean) / (variance + 1e-5).squareRoot() * Double(w[j])
                let expected = n * (1 + Double(mod[b * 2 * H + H + j])) + Double(mod[b * 2 * H + j])
                XCTAssertEqual(Double(out[r * H + j]), expected, accuracy: 1e-4)
            }
        }
    }

    func testRotaryIsARotationAndItsBackwardInvertsIt() {
        let B = 1, L = 9, heads = 2, d = 8
        let table = RotaryTable(length: L, headDim: d)
        let qkv = random(B * L * 3 * heads * d)
        let original = qkv.array
        table.apply(qkv.pointer, B: B, L: L, heads: heads)
        // Position 0 is the identity; other positions preserve each head vector's norm; v untouched.
        let H = heads * d
        for j in 0..<(2 * H) { XCTAssertEqual(qkv[j], original[j], accuracy: 1e-6) }
        for l in 1..<L {
            for s in 0..<2 {
                for h in 0..<heads {
                    let base = l * 3 * H + s * H + h * d
                    let n0 = (0..<d).map { original[base + $0] * original[base + $0] }.reduce(0, +)
                    let n1 = (0..<d).map { qkv[base + $0] * qkv[base + $0] }.reduce(0, +)
                    XCTAssertEqual(n0, n1, accuracy: 1e-4)
                }
            }
            for j in 0..<H { XCTAssertEqual(qkv[l * 3 * H + 2 * H + j], original[l * 3 * H + 2 * H + j]) }
        }
        // Half-split pairing: element k pairs with k + d/2 (not k+1, as interleaved rotary would).
        let one = FloatBuffer(count: L * 3 * H)
        one[1 * 3 * H + 0] = 1  // q, head 0, position 1, component 0
        table.apply(one.pointer, B: 1, L: L, heads: heads)
        XCTAssertEqual(one[1 * 3 * H + d / 2], sin(1), accuracy: 1e-6)
        XCTAssertEqual(one[1 * 3 * H + 1], 0)
        table.applyBackward(qkv.pointer, B: B, L: L, heads: heads)
        for i in 0..<qkv.count { XCTAssertEqual(qkv[i], original[i], accuracy: 1e-5) }
    }

    func testGELUTanhValues() {
        let x = FloatBuffer([-3, -1, 0, 0.5, 2])
        let y = FloatBuffer(count: 5)
        Activation.geluForward(x.pointer, y.pointer, 5)
        // torch.nn.functional.gelu(x, approximate="tanh")
        let expected: [Float] = [-0.0036373, -0.1588080, 0, 0.3457140, 1.9545977]
        for i in 0..<5 { XCTAssertEqual(y[i], expected[i], accuracy: 1e-6) }
    }

    func testParallelCoversEveryIndexOnce() {
        Parallel.setThreadCount(2)
        var hits = [Int](repeating: 0, count: 1001)
        hits.withUnsafeMutableBufferPointer { h in
            let p = h.baseAddress!
            Parallel.forRange(1001) { r in for i in r { p[i] += 1 } }
        }
        XCTAssertEqual(Set(hits), [1])
    }

    func testOpenBLASCoreRecommendation() {
        XCTAssertEqual(GEMM.recommendedCoreType(cpuinfo: "processor: 0\nflags\t\t: fpu avx2 fma avx512f avx512bw avx512vl\n"), "SkylakeX")
        XCTAssertEqual(GEMM.recommendedCoreType(cpuinfo: "flags : sse2 avx avx2 fma\n"), "Haswell")
        XCTAssertNil(GEMM.recommendedCoreType(cpuinfo: "flags : sse2\n"))
    }

    func testSeededRandomReproducesAndRestores() {
        var a = SeededRandom(seed: 5)
        _ = a.next()
        var b = SeededRandom(state: a.stateWords)
        XCTAssertEqual(a.next(), b.next())
        var c = SeededRandom(seed: 5), d = SeededRandom(seed: 6)
        XCTAssertNotEqual(c.next(), d.next())
    }
}

extension KernelTests {
    func testParallelAttentionKeepsProbabilitiesAndUsesEverySlot() {
        let B = 2, L = 300, heads = 3, d = 8, H = heads * d  // L above the 256-row block
        let qkv = random(B * L * 3 * H)
        let ref = FloatBuffer(count: B * L * H)
        Attention.forwardNaive(qkv: qkv.pointer, out: ref.pointer, B: B, L: L, heads: heads, headDim: d)
        for slots in [1, 2, 4] {
            let out = FloatBuffer(count: B * L * H), probs = FloatBuffer(count: B * heads * L * L)
            let scratch = FloatBuffer(count: slots * L * L)
            Attention.forward(qkv: qkv.pointer, out: out.pointer, probs: nil, scratch: scratch.pointer, scratchSlots: slots, B: B, L: L, heads: heads, headDim: d)
            for i in 0..<out.count { XCTAssertEqual(out[i], ref[i], accuracy: 1e-5) }
            Attention.forward(qkv: qkv.pointer, out: out.pointer, probs: probs.pointer, scratch: scratch.pointer, scratchSlots: slots, B: B, L: L, heads: heads, headDim: d)
            for i in 0..<out.count { XCTAssertEqual(out[i], ref[i], accuracy: 1e-5) }
            // Every probability row sums to one.
            for r in stride(from: 0, to: B * heads * L, by: 97) {
                XCTAssertEqual((0..<L).reduce(0) { $0 + probs[r * L + $1] }, 1, accuracy: 1e-5)
            }
        }
    }

    func testLayerNormRowsBackwardEqualsFullBackwardWithZeroGradientElsewhere() {
        let B = 2, L = 5, H = 19
        let x = random(B * L * H), w = random(H), mod = random(B * 2 * H)
        let rows: [Int32] = [1, 4, 7, 8]
        let mean = FloatBuffer(count: B * L), rstd = FloatBuffer(count: B * L)
        let full = FloatBuffer(count: B * L * H)
        LayerNorm.forwardModulated(x: x.pointer, weight: w.pointer, shift: mod.pointer, scale: mod.pointer + H, modStride: 2 * H, out: full.pointer, mean: mean.pointer, rstd: rstd.pointer, B: B, L: L, H: H)
        let compactOut = FloatBuffer(count: rows.count * H)
        let mean2 = FloatBuffer(count: B * L), rstd2 = FloatBuffer(count: B * L)
        rows.withUnsafeBufferPointer { r in
            LayerNorm.forwardModulatedRows(x: x.pointer, rows: r.baseAddress!, rowCount: rows.count, L: L, weight: w.pointer, shift: mod.pointer, scale: mod.pointer + H, modStride: 2 * H, out: compactOut.pointer, H: H, mean: mean2.pointer, rstd: rstd2.pointer)
        }
        for (i, r) in rows.enumerated() {
            for j in 0..<H { XCTAssertEqual(compactOut[i * H + j], full[Int(r) * H + j], accuracy: 1e-6) }
            XCTAssertEqual(mean2[Int(r)], mean[Int(r)])
        }
        let compactGrad = random(rows.count * H)
        let fullGrad = FloatBuffer(count: B * L * H)
        for (i, r) in rows.enumerated() { for j in 0..<H { fullGrad[Int(r) * H + j] = compactGrad[i * H + j] } }
        func run(_ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
            let dx = FloatBuffer(count: B * L * H), dw = FloatBuffer(count: H), dmod = FloatBuffer(count: B * 2 * H)
            for i in 0..<dx.count { dx[i] = 9 }  // overwritten, zero where no row is listed
            body(dx.pointer, dw.pointer, dmod.pointer, dmod.pointer + H)
            return dx.array + dw.array + dmod.array
        }
        let a = run { dx, dw, dsh, dsc in
            LayerNorm.backwardModulated(dOut: fullGrad.pointer, x: x.pointer, weight: w.pointer, scale: mod.pointer + H, modStride: 2 * H, mean: mean.pointer, rstd: rstd.pointer, dx: dx, dWeight: dw, dShift: dsh, dScale: dsc, B: B, L: L, H: H)
        }
        let b = run { dx, dw, dsh, dsc in
            rows.withUnsafeBufferPointer { r in
                LayerNorm.backwardModulatedRows(dOut: compactGrad.pointer, rows: r.baseAddress!, rowCount: rows.count, x: x.pointer, weight: w.pointer, scale: mod.pointer + H, modStride: 2 * H, mean: mean2.pointer, rstd: rstd2.pointer, dx: dx, dWeight: dw, dShift: dsh, dScale: dsc, B: B, L: L, H: H)
            }
        }
        for i in 0..<a.count { XCTAssertEqual(a[i], b[i], accuracy: 1e-5, "at \(i)") }
    }
}
