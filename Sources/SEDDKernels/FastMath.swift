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
        // Explicit vector constants and masked replaces: `clamped`, `pointwiseMin/Max` and scalar-
        // broadcast operators compiled to per-lane code here, ten to forty times slower.
        typealias V = SIMD16<Float>
        typealias I = SIMD16<Int32>
        let lo = V(repeating: -87.336_54), hi = V(repeating: 88.722_83)
        var v = x
        v.replace(with: lo, where: v .< lo)
        v.replace(with: hi, where: v .> hi)
        // n = round(v / ln 2) by the 1.5 * 2^23 trick: its low mantissa bits are n as an integer.
        let magic = V(repeating: 12_582_912)
        let t = magic.addingProduct(v, V(repeating: 1.442_695_04))
        let n = t - magic
        // Fused multiply-adds (Swift never contracts a * b + c on its own).
        let r = v.addingProduct(n, V(repeating: -0.693_359_375)).addingProduct(n, V(repeating: 2.121_944_4e-4))
        var p = V(repeating: 1.987_569_15e-4)
        p = V(repeating: 1.398_199_95e-3).addingProduct(p, r)
        p = V(repeating: 8.333_451_9e-3).addingProduct(p, r)
        p = V(repeating: 4.166_579_59e-2).addingProduct(p, r)
        p = V(repeating: 1.666_666_55e-1).addingProduct(p, r)
        p = V(repeating: 5.000_000_12e-1).addingProduct(p, r)
        let e = (r + V(repeating: 1)).addingProduct(p, r * r)
        let ni = unsafeBitCast(t, to: I.self) &- I(repeating: 0x4B40_0000)
        // 2^n split in two factors so n = -126..128 stays representable (n + 127 would overflow at 128).
        let half = ni &>> I(repeating: 1)
        let bias = I(repeating: 127), shift = I(repeating: 23)
        let s1 = unsafeBitCast((half &+ bias) &<< shift, to: V.self)
        let s2 = unsafeBitCast((ni &- half &+ bias) &<< shift, to: V.self)
        return e * s1 * s2
    }

    /// exp(x) for softmax arguments x = s - max(s) <= 0, accurate to what a bf16 P needs: relative
    /// error below 1e-5 (a bf16 rounding is up to 2e-3) for x in [-86, 0]; below -86 it returns
    /// exp(-86) ~ 4e-38 instead of a smaller number (or 0), harmless next to the row maximum's 1.
    ///
    /// Half the work of `exp`: one clamp instead of two, a degree-4 polynomial instead of 6
    /// (e^r = 1 + r + r^2 (c2 + c3 r + c4 r^2), coefficients fitted to the relative error on
    /// |r| <= ln2/2), and 2^n added straight into the exponent field (n >= -125 keeps it normal).
    /// Inputs above 0 are outside the contract (the result is right up to x = 88).
    @inline(__always)
    public static func expNonPositive(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        typealias U = SIMD16<UInt32>
        let lo = V(repeating: -86)
        var v = x
        v.replace(with: lo, where: v .< lo)
        let magic = V(repeating: 12_582_912)
        let t = magic.addingProduct(v, V(repeating: 1.442_695_04))
        let n = t - magic
        let r = v.addingProduct(n, V(repeating: -0.693_359_375)).addingProduct(n, V(repeating: 2.121_944_4e-4))
        var q = V(repeating: 0.040_917_376)
        q = V(repeating: 0.167_539_96).addingProduct(q, r)
        q = V(repeating: 0.500_089_34).addingProduct(q, r)
        let e = (r + V(repeating: 1)).addingProduct(q, r * r)
        // t's low mantissa bits hold n (offset by the magic number's 0x400000, which the shift by 23
        // pushes out of the word): shifted into the exponent field, an integer add scales e by 2^n.
        let scale = unsafeBitCast(t, to: U.self) &<< U(repeating: 23)
        return unsafeBitCast(unsafeBitCast(e, to: U.self) &+ scale, to: V.self)
    }

    /// exp of one value through the vector kernel (same rounding as the SIMD lanes).
    @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(SIMD16<Float>(repeating: x))[0] }

    /// tanh(u) = 1 - 2 / (1 + e^{2u}): one exp, exact limits (+-1) at large |u|.
    @inline(__always)
    public static func tanh(_ u: SIMD16<Float>) -> SIMD16<Float> {
        let one = SIMD16<Float>(repeating: 1)
        return one - SIMD16<Float>(repeating: 2) / (one + exp(u + u))
    }

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

extension FastMath {
    /// y[i] = exp(x[i]) for i < count (`y` may alias `x`).
    public static func exp(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let v = exp(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self))
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD16<Float>.self)
            i += 16
        }
        if i < count { storePartial(exp(loadPartial(x + i, count - i, fill: 0)), y + i, count - i) }
    }

    /// Sum of exp(x[i]) for i < count: each 16-wide chunk is summed in Float, the chunks in Double
    /// (the score entropy sums the whole vocabulary).
    public static func sumOfExp(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var i = 0
        while i + 16 <= count {
            total += Double(exp(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)).sum())
            i += 16
        }
        while i < count { total += Double(exp(x[i])); i += 1 }
        return total
    }
}

extension FastMath {
    /// y[i] = exp(x[i]) * scale for i < count (`y` may alias `x`), returning the sum of exp(x[i]):
    /// each 16-wide chunk summed in Float, the chunks in Double, as `sumOfExp` sums.
    public static func expScaled(_ x: UnsafePointer<Float>, scale: Float, into y: UnsafeMutablePointer<Float>, count: Int) -> Double {
        let factor = SIMD16<Float>(repeating: scale)
        var total = 0.0
        var i = 0
        while i + 16 <= count {
            let e = exp(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self))
            total += Double(e.sum())
            UnsafeMutableRawPointer(y + i).storeBytes(of: e * factor, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            let e = exp(x[i])
            total += Double(e)
            y[i] = e * scale
            i += 1
        }
        return total
    }
}
