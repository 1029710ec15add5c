/// The inference forward of `AttentionBF16`: no probabilities are kept, so the softmax need not be
/// normalised before the second product.
///
/// Per row of scores it makes two passes instead of four: the row maximum (reading the row from
/// memory), then exp(s - max) written straight to the bf16 P while summing (the row is in L1 by
/// then). P stays unnormalised (entries in (0, 1], the row maximum exactly 1); the P v product writes
/// fp32, and each output row is scaled by 1/sum while it is rounded to bf16. That moves the
/// normalisation from L x L values per head to L x d. The exponential is `FastMath.expNonPositive`
/// (relative error < 1e-5, far below the bf16 rounding of P that follows).
///
/// Rounding differs from `forward` only in where the 1/sum is applied: there P is normalised in fp32
/// and then rounded; here exp(s - max) is rounded and the fp32 product is scaled. Both round each P
/// entry once to bf16 (relative error <= 2^-9), so the two paths agree to bf16 precision.
extension AttentionBF16 {
    /// out [B, L, nh*d] (bf16, head-major columns) from q, k, v [B, nh, L, d] (q already scaled by
    /// 1/sqrt(d)). Scratch: `scores` [nh, L, L] fp32, `p` [nh, L, L] bf16, `rowScales` [nh, L] fp32
    /// (1/sum of each softmax row), `values` [L, nh*d] fp32 (the unnormalised P v of one sequence).
    public static func forwardInference(
        q: UnsafePointer<UInt16>, k: UnsafePointer<UInt16>, v: UnsafePointer<UInt16>,
        out: UnsafeMutablePointer<UInt16>, scores: UnsafeMutablePointer<Float>, p: UnsafeMutablePointer<UInt16>,
        rowScales: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>,
        B: Int, L: Int, heads: Int, headDim d: Int
    ) {
        let H = heads * d
        let (qk, pv) = headProducts(L: L, heads: heads, headDim: d, output: .f32)
        for b in 0..<B {
            let off = b * heads * L * d
            PhaseTimer.time(.attentionScores) { DNNLMatmul.run(qk, a: q + off, b: k + off, c: scores) }
            PhaseTimer.time(.softmax) {
                Parallel.forRange(heads * L, grain: 16) { rows in
                    for r in rows { rowScales[r] = 1 / exponentiateRow(scores + r * L, L, out: p + r * L) }
                }
            }
            PhaseTimer.time(.attentionValues) {
                DNNLMatmul.run(pv, a: p, b: v + off, c: values)
                let o = out + b * L * H
                Parallel.forRange(L, grain: 16) { rows in
                    for l in rows {
                        for h in 0..<heads {
                            let at = l * H + h * d
                            BFloat16.convertRow(values + at, scaledBy: rowScales[h * L + l], to: o + at, count: d)
                        }
                    }
                }
            }
        }
    }

    /// out[j] = bf16(exp(r[j] - max(r))) for j < n; returns the fp32 sum of the exponentials (>= 1,
    /// the maximum's own term). `r` is read twice and not written.
    @inline(__always)
    static func exponentiateRow(_ r: UnsafePointer<Float>, _ n: Int, out: UnsafeMutablePointer<UInt16>) -> Float {
        let m = SIMD16<Float>(repeating: VectorMath.max(r, n))
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var j = 0
        // Two chunks per step: two independent sums, and the two exps interleave.
        while j + 32 <= n {
            let e0 = FastMath.expNonPositive(UnsafeRawPointer(r + j).loadUnaligned(as: SIMD16<Float>.self) - m)
            let e1 = FastMath.expNonPositive(UnsafeRawPointer(r + j + 16).loadUnaligned(as: SIMD16<Float>.self) - m)
            BFloat16.storeNotNaN(e0, to: out + j)
            BFloat16.storeNotNaN(e1, to: out + j + 16)
            acc0 += e0
            acc1 += e1
            j += 32
        }
        if j + 16 <= n {
            let e = FastMath.expNonPositive(UnsafeRawPointer(r + j).loadUnaligned(as: SIMD16<Float>.self) - m)
            BFloat16.storeNotNaN(e, to: out + j)
            acc0 += e
            j += 16
        }
        if j < n {
            var e = FastMath.expNonPositive(FastMath.loadPartial(r + j, n - j, fill: 0) - m)
            for lane in (n - j)..<16 { e[lane] = 0 }
            let rounded = BFloat16.round(e)
            for lane in 0..<(n - j) { out[j + lane] = rounded[lane] }
            acc1 += e
        }
        return (acc0 + acc1).sum()
    }
}
