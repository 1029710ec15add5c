#if canImport(Glibc)
    import Glibc
#endif

/// Vectorised exp and tanh for the pointwise hot spots (softmax, GELU).
///
/// glibc's `expf`/`tanhf` are scalar calls (~5-20 ns each); attention's softmax alone calls exp
/// L^2 x heads x blocks times per forward. `exp` here is Cephes' single-precision polynomial on
/// `SIMD16<Float>`: range reduction by ln 2 in two parts, a degree-6 polynomial, the power of two put
/// in the exponent bits. Relative error stays within 2 ulp of `expf` over [-87, 88] (tested); inputs
/// are clamped to that range, so the result never overflows to infinity and very negative inputs give
/// ~1e-38 instead of 0 (harmless in a softmax). `expf` remains the naive twin and test oracle.
public enum FastMath {
    @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let lo = SIMD16<Float>(repeating: -87.33654), hi = SIMD16<Float>(repeating: 88.72283)
        let v = x.clamped(lowerBound: lo, upperBound: hi)
        // n = round(v / ln 2) by the 1.5 * 2^23 trick: its low mantissa bits are n as an integer.
        let magic = SIMD16<Float>(repeating: 12_582_912)
        let t = v * 1.442_695_04 + magic
        let n = t - magic
        let r = v - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let e = p * (r * r) + r + 1
        let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
        // 2^n split in two factors so n = -126..128 stays representable (n + 127 would overflow at 128).
        let half = ni &>> 1
        let s1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD16<Float>.self)
        let s2 = unsafeBitCast((ni &- half &+ 127) &<< 23, to: SIMD16<Float>.self)
        return e * s1 * s2
    }

    /// exp of one value through the vector kernel (same rounding as the SIMD lanes).
    @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(SIMD16<Float>(repeating: x))[0] }

    /// tanh(u) = 1 - 2 / (1 + e^{2u}): one exp, exact limits (+-1) at large |u|.
    @inline(__always)
    public static func tanh(_ u: SIMD16<Float>) -> SIMD16<Float> { 1 - 2 / (1 + exp(2 * u)) }

    /// Loads up to 16 values (`count` < 16 fills the rest with `fill`).
    @inline(__always)
    public static func loadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float) -> SIMD16<Float> {
        var v = SIMD16<Float>(repeating: fill)
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    /// Stores the first `count` lanes.
    @inline(__always)
    public static func storePartial(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { p[i] = v[i] }
    }
}
