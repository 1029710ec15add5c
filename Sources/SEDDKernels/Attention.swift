#if canImport(Glibc)
    import Glibc
#endif

/// Non-causal multi-head attention over a packed qkv buffer, as the reference's flash-attn call
/// computes it: per sequence and head, `softmax(q k^T / sqrt(d)) v`, no mask, no dropout.
///
/// Layouts: qkv [B, L, 3, nh, d] (q of every head, then k, then v); out [B, L, nh*d] head-major.
/// The products go through the GEMM library with strided views (lda = 3H), so no copies are made.
public enum Attention {
    /// `probs` receives the softmax [B, nh, L, L] when the caller keeps it for the backward pass; with
    /// nil a scratch of [L, L] (`scratch`) is reused for every head.
    public static func forward(
        qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        probs: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
        B: Int, L: Int, heads: Int, headDim d: Int
    ) {
        let H = heads * d
        let scale = 1 / Float(d).squareRoot()
        for b in 0..<B {
            for h in 0..<heads {
                let q = qkv + b * L * 3 * H + h * d
                let k = q + H
                let v = q + 2 * H
                let p = probs.map { $0 + (b * heads + h) * L * L } ?? scratch
                GEMM.multiply(transA: false, transB: true, M: L, N: L, K: d, alpha: scale, A: q, lda: 3 * H, B: k, ldb: 3 * H, C: p, ldc: L)
                softmaxRows(p, rows: L, cols: L)
                GEMM.multiply(transA: false, transB: false, M: L, N: d, K: L, A: p, lda: L, B: v, ldb: 3 * H, C: out + b * L * H + h * d, ldc: H)
            }
        }
    }

    /// Backward: dqkv (overwritten) from dOut, the saved probabilities and qkv (after rotary).
    /// `scratch` holds two [L, L] matrices.
    public static func backward(
        dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
        dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        B: Int, L: Int, heads: Int, headDim d: Int
    ) {
        let H = heads * d
        let scale = 1 / Float(d).squareRoot()
        let dP = scratch
        for b in 0..<B {
            for h in 0..<heads {
                let off = b * L * 3 * H + h * d
                let q = qkv + off, k = q + H, v = q + 2 * H
                let dq = dqkv + off, dk = dq + H, dv = dq + 2 * H
                let p = probs + (b * heads + h) * L * L
                let dO = dOut + b * L * H + h * d
                // dP = dO V^T ; dV = P^T dO
                GEMM.multiply(transA: false, transB: true, M: L, N: L, K: d, A: dO, lda: H, B: v, ldb: 3 * H, C: dP, ldc: L)
                GEMM.multiply(transA: true, transB: false, M: L, N: d, K: L, A: p, lda: L, B: dO, ldb: H, C: dv, ldc: 3 * H)
                // dS = P * (dP - rowsum(dP * P)), in place in dP.
                Parallel.forRange(L, grain: 32) { rows in
                    for i in rows {
                        let pr = p + i * L, dr = dP + i * L
                        let dotv = VectorMath.dot(pr, dr, L)
                        for j in 0..<L { dr[j] = pr[j] * (dr[j] - dotv) }
                    }
                }
                // dQ = scale dS K ; dK = scale dS^T Q
                GEMM.multiply(transA: false, transB: false, M: L, N: d, K: L, alpha: scale, A: dP, lda: L, B: k, ldb: 3 * H, C: dq, ldc: 3 * H)
                GEMM.multiply(transA: true, transB: false, M: L, N: d, K: L, alpha: scale, A: dP, lda: L, B: q, ldb: 3 * H, C: dk, ldc: 3 * H)
            }
        }
    }

    /// Numerically stable softmax of each row, in place.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Parallel.forRange(rows, grain: 32) { range in
            for i in range {
                let r = x + i * cols
                let m = VectorMath.max(r, cols)
                var s: Float = 0
                for j in 0..<cols { let e = expf(r[j] - m); r[j] = e; s += e }
                let inv = 1 / s
                for j in 0..<cols { r[j] *= inv }
            }
        }
    }

    /// The naive twin: straightforward loops in Double, the oracle for tests.
    public static func forwardNaive(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, B: Int, L: Int, heads: Int, headDim d: Int) {
        let H = heads * d
        let scale = 1 / Double(d).squareRoot()
        var s = [Double](repeating: 0, count: L)
        for b in 0..<B {
            for h in 0..<heads {
                for i in 0..<L {
                    let q = qkv + (b * L + i) * 3 * H + h * d
                    var m = -Double.infinity
                    for j in 0..<L {
                        let k = qkv + (b * L + j) * 3 * H + H + h * d
                        var dot = 0.0
                        for t in 0..<d { dot += Double(q[t]) * Double(k[t]) }
                        s[j] = dot * scale
                        m = Swift.max(m, s[j])
                    }
                    var z = 0.0
                    for j in 0..<L { s[j] = exp(s[j] - m); z += s[j] }
                    for t in 0..<d {
                        var acc = 0.0
                        for j in 0..<L { acc += s[j] / z * Double(qkv[(b * L + j) * 3 * H + 2 * H + h * d + t]) }
                        out[(b * L + i) * H + h * d + t] = Float(acc)
                    }
                }
            }
        }
    }
}
