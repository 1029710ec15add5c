#if canImport(Glibc)
    import Glibc
#endif

/// Token embedding (a raw [V, H] table, indexed directly: no scaling, no positions) and the
/// reference's sinusoidal sigma embedding.
public enum Embedding {
    /// out[r] = table[ids[r]] for r in 0..<count.
    public static func forward(ids: UnsafePointer<Int32>, table: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int, H: Int) {
        Parallel.forRange(count, grain: 64) { rows in
            for r in rows { (out + r * H).update(from: table + Int(ids[r]) * H, count: H) }
        }
    }

    /// dTable[ids[r]] += dOut[r]. Serial, so repeated ids accumulate deterministically.
    public static func backward(ids: UnsafePointer<Int32>, dOut: UnsafePointer<Float>, dTable: UnsafeMutablePointer<Float>, count: Int, H: Int) {
        for r in 0..<count {
            let dst = dTable + Int(ids[r]) * H
            let src = dOut + r * H
            for j in 0..<H { dst[j] += src[j] }
        }
    }

    /// `TimestepEmbedder.timestep_embedding`: [cos(sigma * f_k), sin(sigma * f_k)] with
    /// f_k = exp(-ln(10000) k / half), k < half; cos first, then sin. out: [B, 2*half].
    public static func sigmaFrequencies(sigma: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, B: Int, dim: Int = 256, maxPeriod: Float = 10000) {
        let half = dim / 2
        for k in 0..<half {
            // torch: exp(-math.log(max_period) * arange(half, dtype=float32) / half), in fp32.
            let freq = expf(Float(-log(Double(maxPeriod))) * Float(k) / Float(half))
            for b in 0..<B {
                let arg = sigma[b] * freq
                out[b * dim + k] = cosf(arg)
                out[b * dim + half + k] = sinf(arg)
            }
        }
    }
}
