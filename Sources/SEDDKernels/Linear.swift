/// A linear layer in PyTorch's layout: `y[M,N] = x[M,K] * W[N,K]^T + b[N]`.
///
/// Forward and backward side by side; the backward accumulates into `dW`/`db` (gradients are summed
/// over micro-batches by the caller zeroing them once per optimizer step) and overwrites `dx`.
public enum Linear {
    /// y = x W^T (+ b). `bias` may be nil (attn_qkv, attn_out have none).
    public static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, M: Int, K: Int, N: Int
    ) {
        if let bias {
            // Seed C with the bias so the GEMM adds into it (beta = 1): one pass instead of two.
            Parallel.forRange(M, grain: 64) { rows in
                for i in rows { (y + i * N).update(from: bias, count: N) }
            }
            GEMM.multiply(transA: false, transB: true, M: M, N: N, K: K, A: x, lda: K, B: weight, ldb: K, beta: 1, C: y, ldc: N)
        } else {
            GEMM.multiply(transA: false, transB: true, M: M, N: N, K: K, A: x, lda: K, B: weight, ldb: K, beta: 0, C: y, ldc: N)
        }
    }

    /// dx = dy W (overwritten, if dx is given); dW += dy^T x; db += sum over rows of dy.
    public static func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
        M: Int, K: Int, N: Int
    ) {
        if let dx {
            GEMM.multiply(transA: false, transB: false, M: M, N: K, K: N, A: dy, lda: N, B: weight, ldb: K, beta: 0, C: dx, ldc: K)
        }
        GEMM.multiply(transA: true, transB: false, M: N, N: K, K: M, A: dy, lda: N, B: x, ldb: K, beta: 1, C: dWeight, ldc: K)
        if let dBias { accumulateBiasGradient(dy: dy, dBias: dBias, M: M, N: N) }
    }

    /// db[j] += sum over the M rows of dy[i, j] (columns split across threads; rows in order).
    public static func accumulateBiasGradient(dy: UnsafePointer<Float>, dBias: UnsafeMutablePointer<Float>, M: Int, N: Int) {
        Parallel.forRange(N, grain: 256) { cols in
            for i in 0..<M {
                let row = dy + i * N
                for j in cols { dBias[j] += row[j] }
            }
        }
    }
}
