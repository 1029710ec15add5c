/// The linear layer `y = x W^T + b` with bf16 operands on AMX and fp32 accumulation.
///
/// Inputs arrive in bf16 (the kernel before writes them so), the weights are `PackedBF16Weights`, and
/// the output is fp32 (it joins the residual stream or feeds an fp32 op) or bf16 (it only feeds the
/// next product). Bias and GELU run inside oneDNN's epilogue. Gradients: `dx` and `dW` are bf16
/// products accumulated in fp32; `dW` adds into the fp32 gradient, `db` is an fp32 column sum.
public enum LinearBF16 {
    public enum Output { case f32(UnsafeMutablePointer<Float>), bf16(UnsafeMutablePointer<UInt16>) }

    /// y[M, N] = x[M, K] W^T (+ bias) (then GELU if `gelu`). `packed` reads the blocked weight copy
    /// (which must be current); otherwise the plain one, read transposed through its strides.
    public static func forward(
        x: UnsafePointer<UInt16>, weights w: PackedBF16Weights, bias: UnsafePointer<Float>?, y: Output, M: Int,
        gelu: Bool = false, packed: Bool = true
    ) {
        let N = w.N, K = w.K
        let out: UnsafeMutableRawPointer, c: MatmulOperand
        switch y {
        case .f32(let p): (out, c) = (UnsafeMutableRawPointer(p), MatmulOperand(.f32, rowStride: N))
        case .bf16(let p): (out, c) = (UnsafeMutableRawPointer(p), MatmulOperand(.bf16, rowStride: N))
        }
        let a = MatmulOperand(.bf16, rowStride: K)
        if packed {
            precondition(w.packedIsCurrent, "packed bf16 weights are out of date")
            let d = MatmulDescription(M: M, N: N, K: K, a: a, b: nil, c: c, bias: bias != nil, gelu: gelu)
            DNNLMatmul.run(d, a: x, weights: w, c: out, bias: bias)
        } else {
            let d = MatmulDescription(
                M: M, N: N, K: K, a: a, b: MatmulOperand(.bf16, rowStride: 1, colStride: K), c: c, bias: bias != nil,
                gelu: gelu)
            DNNLMatmul.run(d, a: x, b: w.plain.pointer, c: out, bias: bias)
        }
    }

    /// `forward` (packed weights) for rows of x computed whole on the calling thread, inside one of
    /// the engine's parallel regions: `slot` is the caller's chunk index (see `DNNLMatmulPerThread`).
    public static func forwardOnCallingThread(
        x: UnsafePointer<UInt16>, weights w: PackedBF16Weights, bias: UnsafePointer<Float>?, y: Output, M: Int,
        gelu: Bool = false, slot: Int
    ) {
        precondition(w.packedIsCurrent, "packed bf16 weights are out of date")
        let out: UnsafeMutableRawPointer, c: MatmulOperand
        switch y {
        case .f32(let p): (out, c) = (UnsafeMutableRawPointer(p), MatmulOperand(.f32, rowStride: w.N))
        case .bf16(let p): (out, c) = (UnsafeMutableRawPointer(p), MatmulOperand(.bf16, rowStride: w.N))
        }
        let d = MatmulDescription(
            M: M, N: w.N, K: w.K, a: MatmulOperand(.bf16, rowStride: w.K), b: nil, c: c, bias: bias != nil, gelu: gelu)
        DNNLMatmulPerThread.run(d, slot: slot, a: x, weights: w, c: out, bias: bias)
    }

    /// dx = dy W (overwritten, if dx is given); dW += dy^T x; db += column sums of dy.
    /// `dyScratch` holds [productRows, N] bf16 (dy rounded once for both products). `productRows`
    /// (at least M) runs the products on that many rows, the extra gradient rows zero, so a varying M
    /// can reuse the primitives of a rounded-up one; `x` and `dx` must have that many rows.
    public static func backward(
        dy: UnsafePointer<Float>, dyScratch: UnsafeMutablePointer<UInt16>, x: UnsafePointer<UInt16>,
        weights w: PackedBF16Weights, dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>,
        dBias: UnsafeMutablePointer<Float>?, M rows: Int, productRows: Int? = nil
    ) {
        let N = w.N, K = w.K
        if rows == 0 { return }
        let M = max(rows, productRows ?? rows)
        BFloat16.convert(dy, to: dyScratch, count: rows * N)
        if M > rows { (dyScratch + rows * N).update(repeating: 0, count: (M - rows) * N) }
        if let dx {
            let d = MatmulDescription(
                M: M, N: K, K: N, a: MatmulOperand(.bf16, rowStride: N), b: MatmulOperand(.bf16, rowStride: K),
                c: MatmulOperand(.f32, rowStride: K))
            DNNLMatmul.run(d, a: dyScratch, b: w.plain.pointer, c: dx)
        }
        // dW [N, K] += dy^T [N, M] x [M, K]: dy read transposed through its strides.
        let d = MatmulDescription(
            M: N, N: K, K: M, a: MatmulOperand(.bf16, rowStride: 1, colStride: N), b: MatmulOperand(.bf16, rowStride: K),
            c: MatmulOperand(.f32, rowStride: K), accumulate: true)
        DNNLMatmul.run(d, a: dyScratch, b: x, c: dWeight)
        if let dBias { Linear.accumulateBiasGradient(dy: dy, dBias: dBias, M: rows, N: N) }
    }
}
