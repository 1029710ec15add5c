import SEDDKernels
import XCTest

/// Finite-difference checks of every backward kernel, on small random shapes that do not divide the
/// SIMD width (16). Each test first checks the Float forward against the Double oracle, so the
/// gradient checked is the gradient of what the engine actually computes.
final class KernelGradientTests: XCTestCase {
    /// (B, L, heads, headDim): H = 12 and 18, L = 5 and 17.
    let shapes = [(2, 5, 2, 6), (1, 17, 3, 6)]

    func testLinearBackward() {
        var gc = GradientCheck()
        for (M, K, N) in [(3, 7, 5), (19, 18, 33)] {
            for withBias in [true, false] {
                let x = gc.uniform(M * K), w = gc.uniform(N * K, scale: 0.5), b = gc.uniform(N), r = gc.uniform(M * N)
                let xb = FloatBuffer(floats(x)), wb = FloatBuffer(floats(w)), bb = FloatBuffer(floats(b))
                let y = FloatBuffer(count: M * N)
                Linear.forward(x: xb.pointer, weight: wb.pointer, bias: withBias ? bb.pointer : nil, y: y.pointer, M: M, K: K, N: N)
                assertClose("linear.forward", y.array, Oracle.linear(x, w, withBias ? b : nil, M: M, K: K, N: N))

                let dy = FloatBuffer(floats(r)), dx = FloatBuffer(count: M * K)
                let dw = FloatBuffer(count: N * K), db = FloatBuffer(count: N)
                Linear.backward(
                    dy: dy.pointer, x: xb.pointer, weight: wb.pointer, dx: dx.pointer, dWeight: dw.pointer,
                    dBias: withBias ? db.pointer : nil, M: M, K: K, N: N)
                let bias = withBias ? b : nil
                gc.check("linear.dx", analytic: dx.array, input: x) { dot(Oracle.linear($0, w, bias, M: M, K: K, N: N), r) }
                gc.check("linear.dW", analytic: dw.array, input: w) { dot(Oracle.linear(x, $0, bias, M: M, K: K, N: N), r) }
                if withBias {
                    gc.check("linear.db", analytic: db.array, input: b) { dot(Oracle.linear(x, w, $0, M: M, K: K, N: N), r) }
                }
            }
        }
    }

    func testLinearBackwardAccumulatesParameterGradients() {
        var gc = GradientCheck()
        let M = 4, K = 3, N = 5
        let x = FloatBuffer(floats(gc.uniform(M * K))), w = FloatBuffer(floats(gc.uniform(N * K)))
        let dy = FloatBuffer(floats(gc.uniform(M * N)))
        let dw = FloatBuffer(count: N * K), db = FloatBuffer(count: N)
        Linear.backward(dy: dy.pointer, x: x.pointer, weight: w.pointer, dx: nil, dWeight: dw.pointer, dBias: db.pointer, M: M, K: K, N: N)
        let once = dw.array, onceB = db.array
        Linear.backward(dy: dy.pointer, x: x.pointer, weight: w.pointer, dx: nil, dWeight: dw.pointer, dBias: db.pointer, M: M, K: K, N: N)
        for i in 0..<once.count { XCTAssertEqual(dw[i], 2 * once[i], accuracy: 1e-5) }
        for i in 0..<onceB.count { XCTAssertEqual(db[i], 2 * onceB[i], accuracy: 1e-5) }
    }

    func testLayerNormModulatedBackward() {
        var gc = GradientCheck()
        for (B, L, heads, d) in shapes {
            let H = heads * d, stride = 3 * H, so = H, sc = 2 * H  // shift and scale as views into a wider buffer
            let x = gc.uniform(B * L * H, scale: 2).map { $0 + 0.3 }, w = gc.uniform(H).map { 1 + 0.2 * $0 }
            let mod = gc.uniform(B * stride, scale: 0.5), r = gc.uniform(B * L * H)
            let xb = FloatBuffer(floats(x)), wb = FloatBuffer(floats(w)), mb = FloatBuffer(floats(mod))
            let out = FloatBuffer(count: B * L * H), mean = FloatBuffer(count: B * L), rstd = FloatBuffer(count: B * L)
            LayerNorm.forwardModulated(
                x: xb.pointer, weight: wb.pointer, shift: mb.pointer + so, scale: mb.pointer + sc, modStride: stride,
                out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, B: B, L: L, H: H)
            func f(_ x: [Double], _ w: [Double], _ mod: [Double]) -> Double {
                dot(Oracle.layerNormModulated(x, w, mod, stride: stride, shiftOffset: so, scaleOffset: sc, B: B, L: L, H: H), r)
            }
            assertClose("layernorm.forward", out.array, Oracle.layerNormModulated(x, w, mod, stride: stride, shiftOffset: so, scaleOffset: sc, B: B, L: L, H: H))

            let dy = FloatBuffer(floats(r)), dx = FloatBuffer(count: B * L * H), dw = FloatBuffer(count: H)
            let dmod = FloatBuffer(count: B * stride)
            LayerNorm.backwardModulated(
                dOut: dy.pointer, x: xb.pointer, weight: wb.pointer, scale: mb.pointer + sc, modStride: stride,
                mean: mean.pointer, rstd: rstd.pointer, dx: dx.pointer, dWeight: dw.pointer,
                dShift: dmod.pointer + so, dScale: dmod.pointer + sc, B: B, L: L, H: H)
            gc.check("layernorm.dx", analytic: dx.array, input: x) { f($0, w, mod) }
            gc.check("layernorm.dWeight", analytic: dw.array, input: w) { f(x, $0, mod) }
            // dmod covers shift and scale; the untouched first H of each row must have gradient 0.
            gc.check("layernorm.dShift/dScale", analytic: dmod.array, input: mod, samples: 200) { f(x, w, $0) }
        }
    }

    func testAttentionBackward() {
        var gc = GradientCheck()
        for (B, L, heads, d) in shapes {
            let H = heads * d
            let qkv = gc.uniform(B * L * 3 * H, scale: 1.5), r = gc.uniform(B * L * H)
            let qb = FloatBuffer(floats(qkv)), out = FloatBuffer(count: B * L * H)
            let probs = FloatBuffer(count: B * heads * L * L), scratch = FloatBuffer(count: 2 * L * L)
            Attention.forward(qkv: qb.pointer, out: out.pointer, probs: probs.pointer, scratch: scratch.pointer, B: B, L: L, heads: heads, headDim: d)
            assertClose("attention.forward", out.array, Oracle.attention(qkv, B: B, L: L, heads: heads, d: d))
            let dy = FloatBuffer(floats(r)), dqkv = FloatBuffer(count: B * L * 3 * H)
            Attention.backward(dOut: dy.pointer, qkv: qb.pointer, probs: probs.pointer, dqkv: dqkv.pointer, scratch: scratch.pointer, B: B, L: L, heads: heads, headDim: d)
            gc.check("attention.dqkv", analytic: dqkv.array, input: qkv, samples: 120) {
                dot(Oracle.attention($0, B: B, L: L, heads: heads, d: d), r)
            }
        }
    }

    func testRotaryBackward() {
        var gc = GradientCheck()
        for (B, L, heads, d) in shapes {
            let H = heads * d
            let qkv = gc.uniform(B * L * 3 * H), r = gc.uniform(B * L * 3 * H)
            let table = RotaryTable(length: L + 3, headDim: d)
            let qb = FloatBuffer(floats(qkv))
            table.apply(qb.pointer, B: B, L: L, heads: heads)
            assertClose("rotary.forward", qb.array, Oracle.rotary(qkv, B: B, L: L, heads: heads, d: d))
            let g = FloatBuffer(floats(r))
            table.applyBackward(g.pointer, B: B, L: L, heads: heads)
            gc.check("rotary.backward", analytic: g.array, input: qkv, samples: 120) {
                dot(Oracle.rotary($0, B: B, L: L, heads: heads, d: d), r)
            }
        }
    }

    func testActivationBackward() {
        var gc = GradientCheck()
        let n = 37
        let x = gc.uniform(n, scale: 4), r = gc.uniform(n)
        let xb = FloatBuffer(floats(x)), y = FloatBuffer(count: n), dx = FloatBuffer(count: n)
        Activation.geluForward(xb.pointer, y.pointer, n)
        assertClose("gelu.forward", y.array, Oracle.gelu(x))
        let dy = FloatBuffer(floats(r))
        Activation.geluBackward(xb.pointer, dy.pointer, dx.pointer, n)
        gc.check("gelu.backward", analytic: dx.array, input: x) { dot(Oracle.gelu($0), r) }
        // In place (dx aliasing dy), as the network uses it.
        Activation.geluBackward(xb.pointer, dy.pointer, dy.pointer, n)
        XCTAssertEqual(dy.array, dx.array)

        Activation.siluForward(xb.pointer, y.pointer, n)
        assertClose("silu.forward", y.array, Oracle.silu(x))
        let dy2 = FloatBuffer(floats(r))
        Activation.siluBackward(xb.pointer, dy2.pointer, dx.pointer, n)
        gc.check("silu.backward", analytic: dx.array, input: x) { dot(Oracle.silu($0), r) }
    }

    func testGatedResidualBackward() {
        var gc = GradientCheck()
        for (B, L, heads, d) in shapes {
            let H = heads * d, stride = 6 * H, offset = 2 * H
            let x = gc.uniform(B * L * H), branch = gc.uniform(B * L * H), mod = gc.uniform(B * stride)
            let r = gc.uniform(B * L * H)
            let xb = FloatBuffer(floats(x)), bb = FloatBuffer(floats(branch)), mb = FloatBuffer(floats(mod))
            GatedResidual.forward(x: xb.pointer, branch: bb.pointer, gate: mb.pointer + offset, modStride: stride, B: B, L: L, H: H)
            assertClose("gated.forward", xb.array, Oracle.gatedResidual(x, branch, mod, stride: stride, offset: offset, B: B, L: L, H: H))
            let dy = FloatBuffer(floats(r)), dBranch = FloatBuffer(count: B * L * H), dmod = FloatBuffer(count: B * stride)
            GatedResidual.backward(dx: dy.pointer, branch: bb.pointer, gate: mb.pointer + offset, modStride: stride, dBranch: dBranch.pointer, dGate: dmod.pointer + offset, B: B, L: L, H: H)
            func f(_ x: [Double], _ br: [Double], _ m: [Double]) -> Double {
                dot(Oracle.gatedResidual(x, br, m, stride: stride, offset: offset, B: B, L: L, H: H), r)
            }
            gc.check("gated.dBranch", analytic: dBranch.array, input: branch) { f(x, $0, mod) }
            gc.check("gated.dGate", analytic: dmod.array, input: mod, samples: 200) { f(x, branch, $0) }
            // dx passes through unchanged: the residual's own gradient is the identity.
            gc.check("gated.dx", analytic: dy.array, input: x) { f($0, branch, mod) }
        }
    }

    func testEmbeddingBackwardWithRepeatedIds() {
        var gc = GradientCheck()
        let V = 7, H = 5
        let ids = [3, 1, 3, 6, 0, 3, 1, 2, 5]
        let table = gc.uniform(V * H), r = gc.uniform(ids.count * H)
        let idb = IntBuffer(count: ids.count)
        for (i, t) in ids.enumerated() { idb[i] = Int32(t) }
        let tb = FloatBuffer(floats(table)), out = FloatBuffer(count: ids.count * H)
        Embedding.forward(ids: idb.pointer, table: tb.pointer, out: out.pointer, count: ids.count, H: H)
        assertClose("embedding.forward", out.array, Oracle.embedding(table, ids: ids, H: H))
        let dy = FloatBuffer(floats(r)), dt = FloatBuffer(count: V * H)
        Embedding.backward(ids: idb.pointer, dOut: dy.pointer, dTable: dt.pointer, count: ids.count, H: H)
        gc.check("embedding.dTable", analytic: dt.array, input: table) { dot(Oracle.embedding($0, ids: ids, H: H), r) }
    }

    func testDropoutBackwardUsesTheForwardMask() {
        var gc = GradientCheck()
        let n = 301, p: Float = 0.25
        let x = gc.uniform(n), r = gc.uniform(n)
        let xb = FloatBuffer(floats(x)), mask = FloatBuffer(count: n)
        var rng = SeededRandom(seed: 9)
        Dropout.apply(xb.pointer, mask: mask.pointer, count: n, p: p, rng: &rng)
        let m = mask.array.map(Double.init)
        let dropped = m.filter { $0 == 0 }.count
        XCTAssertGreaterThan(dropped, 40)
        XCTAssertLessThan(dropped, 110)
        XCTAssertTrue(m.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
        assertClose("dropout.forward", xb.array, zip(x, m).map { $0 * $1 })
        let g = FloatBuffer(floats(r))
        Dropout.backward(g.pointer, mask: mask.pointer, count: n)
        gc.check("dropout.backward", analytic: g.array, input: x) { dot(zip($0, m).map { $0 * $1 }, r) }
    }
}
