/// Multi-head attention on AMX: the two products of every head of a sequence run as one batched
/// oneDNN bf16 matmul each (fp32 accumulation), the softmax in fp32 between them.
///
/// Operands are the head-major bf16 copies `RotaryTable.applySplitBF16` writes (q already scaled by
/// 1/sqrt(d)); strided views into the packed qkv rows would send oneDNN to a slower non-AMX kernel.
public enum AttentionBF16 {
    /// out [B, L, nh*d] (bf16, head-major columns as `Attention.forward` writes them) from q, k, v
    /// [B, nh, L, d]. `scores` ([nh, L, L] fp32) and `p` ([nh, L, L] bf16) are scratch; when `probs`
    /// ([B, nh, L, L]) is given the fp32 softmax is kept there for the backward pass instead.
    public static func forward(
        q: UnsafePointer<UInt16>, k: UnsafePointer<UInt16>, v: UnsafePointer<UInt16>,
        out: UnsafeMutablePointer<UInt16>, probs: UnsafeMutablePointer<Float>?,
        scores: UnsafeMutablePointer<Float>, p: UnsafeMutablePointer<UInt16>,
        B: Int, L: Int, heads: Int, headDim d: Int
    ) {
        let H = heads * d
        let (qk, pv) = headProducts(L: L, heads: heads, headDim: d, output: .bf16)
        for b in 0..<B {
            let off = b * heads * L * d
            let s = probs.map { $0 + b * heads * L * L } ?? scores
            PhaseTimer.time(.attentionScores) { DNNLMatmul.run(qk, a: q + off, b: k + off, c: s) }
            PhaseTimer.time(.softmax) {
                Parallel.forRange(heads * L, grain: 16) { rows in
                    for r in rows { softmaxRowBF16(s + r * L, L, out: p + r * L) }
                }
            }
            PhaseTimer.time(.attentionValues) { DNNLMatmul.run(pv, a: p, b: v + off, c: out + b * L * H) }
        }
    }

    /// The two batched products over a sequence's heads: q k^T into fp32 scores [nh, L, L], and P v
    /// (P [nh, L, L] bf16) into `output`-typed rows [L, nh*d], head h in columns h*d..<(h+1)*d.
    static func headProducts(L: Int, heads: Int, headDim d: Int, output: MatmulOperand.Element) -> (qk: MatmulDescription, pv: MatmulDescription) {
        let qk = MatmulDescription(
            batch: heads, M: L, N: L, K: d,
            a: MatmulOperand(.bf16, rowStride: d, batchStride: L * d),
            b: MatmulOperand(.bf16, rowStride: 1, colStride: d, batchStride: L * d),
            c: MatmulOperand(.f32, rowStride: L, batchStride: L * L))
        let pv = MatmulDescription(
            batch: heads, M: L, N: d, K: L,
            a: MatmulOperand(.bf16, rowStride: L, batchStride: L * L),
            b: MatmulOperand(.bf16, rowStride: d, batchStride: L * d),
            c: MatmulOperand(output, rowStride: heads * d, batchStride: d))
        return (qk, pv)
    }

    /// Softmax of one row in place (fp32), also written as bf16 to `out`.
    @inline(__always)
    static func softmaxRowBF16(_ r: UnsafeMutablePointer<Float>, _ n: Int, out: UnsafeMutablePointer<UInt16>) {
        Attention.softmaxRow(r, n)
        BFloat16.convertRow(r, to: out, count: n)
    }
}

extension AttentionBF16 {
    /// Backward of `forward` with bf16 products: dqkv [B, L, 3, nh, d] (fp32, overwritten; q and k
    /// still rotated, as `Attention.backward` leaves them) from dOut [B, L, nh*d], the forward's bf16
    /// heads (q scaled by 1/sqrt(d)) and its fp32 probabilities. Scratch: `dOutScratch` [B, nh, L, d]
    /// bf16, `pScratch` [nh, L, L] bf16, `dScoresScratch` [nh, L, L] bf16, `dPScratch` [nh, L, L] fp32,
    /// `headGradients` [3, nh, L, d] fp32 (oneDNN's AMX kernel wants dense outputs; they are scattered
    /// into dqkv afterwards).
    ///
    /// With s = 1/sqrt(d) and q' = s q (the saved head): dV = P^T dO, dP = dO V^T,
    /// dS = P * (dP - rowsum(dP * P)), dQ = s dS K, dK = s dS^T Q = dS^T q'.
    public static func backward(
        dOut: UnsafePointer<Float>, q: UnsafePointer<UInt16>, k: UnsafePointer<UInt16>, v: UnsafePointer<UInt16>,
        probs: UnsafePointer<Float>, dqkv: UnsafeMutablePointer<Float>,
        dOutScratch: UnsafeMutablePointer<UInt16>, pScratch: UnsafeMutablePointer<UInt16>,
        dScoresScratch: UnsafeMutablePointer<UInt16>, dPScratch: UnsafeMutablePointer<Float>,
        headGradients: UnsafeMutablePointer<Float>, B: Int, L: Int, heads: Int, headDim d: Int
    ) {
        let H = heads * d
        let scale = 1 / Float(d).squareRoot()
        // dO to head-major bf16.
        Parallel.forRange(B * L, grain: 16) { rows in
            for r in rows {
                let b = r / L, l = r % L
                for h in 0..<heads {
                    BFloat16.convertRow(dOut + r * H + h * d, to: dOutScratch + ((b * heads + h) * L + l) * d, count: d)
                }
            }
        }
        let headMajor = MatmulOperand(.bf16, rowStride: d, batchStride: L * d)
        let headMajorT = MatmulOperand(.bf16, rowStride: 1, colStride: d, batchStride: L * d)
        let square = MatmulOperand(.bf16, rowStride: L, batchStride: L * L)
        let dense = MatmulOperand(.f32, rowStride: d, batchStride: L * d)
        let dP = MatmulDescription(batch: heads, M: L, N: L, K: d, a: headMajor, b: headMajorT, c: MatmulOperand(.f32, rowStride: L, batchStride: L * L))
        let dQ = MatmulDescription(batch: heads, M: L, N: d, K: L, a: square, b: headMajor, c: dense, scale: scale)
        // Products with a transposed left operand go head by head in 2D: oneDNN 2.6 runs a batched
        // transposed A on its generic gemm, a 2D one on AMX.
        let transposedLeft = MatmulDescription(
            M: L, N: d, K: L, a: MatmulOperand(.bf16, rowStride: 1, colStride: L), b: MatmulOperand(.bf16, rowStride: d),
            c: MatmulOperand(.f32, rowStride: d))
        for b in 0..<B {
            let off = b * heads * L * d
            let p = probs + b * heads * L * L
            let gq = headGradients, gk = gq + heads * L * d, gv = gk + heads * L * d
            BFloat16.convert(p, to: pScratch, count: heads * L * L)
            DNNLMatmul.run(dP, a: dOutScratch + off, b: v + off, c: dPScratch)
            for h in 0..<heads {
                DNNLMatmul.run(transposedLeft, a: pScratch + h * L * L, b: dOutScratch + off + h * L * d, c: gv + h * L * d)
            }
            Parallel.forRange(heads * L, grain: 16) { rows in
                for r in rows {
                    let pr = p + r * L, dr = dPScratch + r * L
                    let dotv = VectorMath.dot(pr, dr, L)
                    for j in 0..<L { dr[j] = pr[j] * (dr[j] - dotv) }
                    BFloat16.convertRow(dr, to: dScoresScratch + r * L, count: L)
                }
            }
            DNNLMatmul.run(dQ, a: dScoresScratch, b: k + off, c: gq)
            for h in 0..<heads {
                DNNLMatmul.run(transposedLeft, a: dScoresScratch + h * L * L, b: q + off + h * L * d, c: gk + h * L * d)
            }
            // Head-major [3, nh, L, d] into the packed rows [L, 3, nh, d] of sequence b.
            let out = dqkv + b * L * 3 * H
            Parallel.forRange(L, grain: 16) { rows in
                for l in rows {
                    for slot in 0..<3 {
                        for h in 0..<heads {
                            (out + l * 3 * H + slot * H + h * d).update(from: headGradients + ((slot * heads + h) * L + l) * d, count: d)
                        }
                    }
                }
            }
        }
    }
}
