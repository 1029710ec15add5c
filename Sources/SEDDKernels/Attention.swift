#if canImport(Glibc)
    import Glibc
#endif

/// Non-causal multi-head attention over a packed qkv buffer, as the reference's flash-attn call
/// computes it: per sequence and head, `softmax(q k^T / sqrt(d)) v`, no mask, no dropout.
///
/// Layouts: qkv [B, L, 3, nh, d] (q of every head, then k, then v); out [B, L, nh*d] head-major.
/// The products go through the GEMM library with strided views (lda = 3H), so no copies are made.
public enum Attention {
    /// Rows of scores computed at once per head when the probabilities are not kept: 256 rows x L
    /// floats stay in L2 (1 MiB at L = 1024) between the two products and the softmax.
    static let rowBlock = 256

    /// `probs` receives the softmax [B, nh, L, L] when the caller keeps it for the backward pass; with
    /// nil the scores go through `scratch`, which holds `scratchSlots` matrices of [L, L] floats.
    ///
    /// Heads (b, h) are spread over the engine's threads, at most one per scratch slot, each thread
    /// running its products with a single-threaded GEMM (a head's [L, L] x [L, d] products are too
    /// small to split well, and two heads at a time keep both cores on one product each).
    public static func forward(
        qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        probs: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>, scratchSlots: Int = 2,
        B: Int, L: Int, heads: Int, headDim d: Int
    ) {
        let H = heads * d
        let scale = 1 / Float(d).squareRoot()
        let block = min(L, rowBlock)
        GEMM.withSingleThreadedCalls(parallel: min(Parallel.threadCount, scratchSlots, B * heads) > 1) {
            Parallel.forChunks(B * heads, grain: 1, maxChunks: scratchSlots) { chunk, pairs in
                let rows = scratch + chunk * L * L
                for pair in pairs {
                    let b = pair / heads, h = pair % heads
                    let q = qkv + b * L * 3 * H + h * d
                    let k = q + H
                    let v = q + 2 * H
                    let o = out + b * L * H + h * d
                    if let probs {
                        let p = probs + pair * L * L
                        headForward(q: q, k: k, v: v, o: o, p: p, rows: 0..<L, L: L, H: H, d: d, scale: scale)
                    } else {
                        var i = 0
                        while i < L {
                            let n = min(block, L - i)
                            headForward(q: q, k: k, v: v, o: o, p: rows, rows: i..<(i + n), L: L, H: H, d: d, scale: scale)
                            i += n
                        }
                    }
                }
            }
        }
    }

    /// Rows `rows` of one head: scores into p [rows.count, L], softmax, then o[rows] = p v.
    @inline(__always)
    static func headForward(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, o: UnsafeMutablePointer<Float>,
        p: UnsafeMutablePointer<Float>, rows: Range<Int>, L: Int, H: Int, d: Int, scale: Float
    ) {
        let n = rows.count, first = rows.lowerBound
        GEMM.multiply(transA: false, transB: true, M: n, N: L, K: d, alpha: scale, A: q + first * 3 * H, lda: 3 * H, B: k, ldb: 3 * H, C: p, ldc: L)
        for i in 0..<n { softmaxRow(p + i * L, L) }
        GEMM.multiply(transA: false, transB: false, M: n, N: d, K: L, A: p, lda: L, B: v, ldb: 3 * H, C: o + first * H, ldc: H)
    }

    /// Backward: dqkv (overwritten) from dOut, the saved probabilities and qkv (after rotary).
    /// `scratch` holds `scratchSlots` matrices of [L, L]; heads run in parallel, one per slot.
    public static func backward(
        dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
        dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, scratchSlots: Int = 2,
        B: Int, L: Int, heads: Int, headDim d: Int
    ) {
        let H = heads * d
        let scale = 1 / Float(d).squareRoot()
        GEMM.withSingleThreadedCalls(parallel: min(Parallel.threadCount, scratchSlots, B * heads) > 1) {
            Parallel.forChunks(B * heads, grain: 1, maxChunks: scratchSlots) { chunk, pairs in
                let dP = scratch + chunk * L * L
                for pair in pairs {
                    let b = pair / heads, h = pair % heads
                    let off = b * L * 3 * H + h * d
                    let q = qkv + off, k = q + H, v = q + 2 * H
                    let dq = dqkv + off, dk = dq + H, dv = dq + 2 * H
                    let p = probs + pair * L * L
                    let dO = dOut + b * L * H + h * d
                    // dP = dO V^T ; dV = P^T dO
                    GEMM.multiply(transA: false, transB: true, M: L, N: L, K: d, A: dO, lda: H, B: v, ldb: 3 * H, C: dP, ldc: L)
                    GEMM.multiply(transA: true, transB: false, M: L, N: d, K: L, A: p, lda: L, B: dO, ldb: H, C: dv, ldc: 3 * H)
                    // dS = P * (dP - rowsum(dP * P)), in place in dP.
                    for i in 0..<L {
                        let pr = p + i * L, dr = dP + i * L
                        let dotv = VectorMath.dot(pr, dr, L)
                        for j in 0..<L { dr[j] = pr[j] * (dr[j] - dotv) }
                    }
                    // dQ = scale dS K ; dK = scale dS^T Q
                    GEMM.multiply(transA: false, transB: false, M: L, N: d, K: L, alpha: scale, A: dP, lda: L, B: k, ldb: 3 * H, C: dq, ldc: 3 * H)
                    GEMM.multiply(transA: true, transB: false, M: L, N: d, K: L, alpha: scale, A: dP, lda: L, B: q, ldb: 3 * H, C: dk, ldc: 3 * H)
                }
            }
        }
    }

    /// Numerically stable softmax of each row, in place.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Parallel.forRange(rows, grain: 32) { range in
            for i in range { softmaxRow(x + i * cols, cols) }
        }
    }

    /// Softmax of one row in place, with the vectorised exp.
    @inline(__always)
    public static func softmaxRow(_ r: UnsafeMutablePointer<Float>, _ n: Int) {
        let m = SIMD16<Float>(repeating: VectorMath.max(r, n))
        var acc = SIMD16<Float>()
        var j = 0
        while j + 16 <= n {
            let e = FastMath.exp(UnsafeRawPointer(r + j).loadUnaligned(as: SIMD16<Float>.self) - m)
            UnsafeMutableRawPointer(r + j).storeBytes(of: e, as: SIMD16<Float>.self)
            acc += e
            j += 16
        }
        if j < n {
            var e = FastMath.exp(FastMath.loadPartial(r + j, n - j, fill: 0) - m)
            for lane in (n - j)..<16 { e[lane] = 0 }
            FastMath.storePartial(e, r + j, n - j)
            acc += e
        }
        let inv = SIMD16<Float>(repeating: 1 / acc.sum())
        j = 0
        while j + 16 <= n {
            let e = UnsafeRawPointer(r + j).loadUnaligned(as: SIMD16<Float>.self) * inv
            UnsafeMutableRawPointer(r + j).storeBytes(of: e, as: SIMD16<Float>.self)
            j += 16
        }
        while j < n { r[j] *= inv[0]; j += 1 }
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
