/// Small vector helpers over raw pointers, written with `SIMD16<Float>` so that reductions vectorise
/// (Swift does not reassociate float sums on its own). Built for a target CPU (see README) these
/// become AVX-512/AVX2 instructions; the tails handle lengths that are not multiples of 16.
public enum VectorMath {
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var s = acc.sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// Sum of (x[i] - mean)^2.
    @inline(__always)
    public static func centeredSquares(_ x: UnsafePointer<Float>, _ n: Int, mean: Float) -> Float {
        var acc = SIMD16<Float>()
        let m = SIMD16<Float>(repeating: mean)
        var i = 0
        while i + 16 <= n {
            let d = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - m
            acc.addProduct(d, d)
            i += 16
        }
        var s = acc.sum()
        while i < n { let d = x[i] - mean; s += d * d; i += 1 }
        return s
    }

    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc.addProduct(
                UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self),
                UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self))
            i += 16
        }
        var s = acc.sum()
        while i < n { s += x[i] * y[i]; i += 1 }
        return s
    }

    @inline(__always)
    public static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        // Two accumulators: each step's max depends on the previous one, so a single chain runs at
        // the instruction's latency rather than its throughput.
        var acc0 = SIMD16<Float>(repeating: -.infinity), acc1 = acc0
        var i = 0
        while i + 32 <= n {
            // A masked replace: `pointwiseMax` compiles to per-lane code here (40x slower).
            let v0 = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            let v1 = UnsafeRawPointer(x + i + 16).loadUnaligned(as: SIMD16<Float>.self)
            acc0.replace(with: v0, where: v0 .> acc0)
            acc1.replace(with: v1, where: v1 .> acc1)
            i += 32
        }
        if i + 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            acc0.replace(with: v, where: v .> acc0)
            i += 16
        }
        acc0.replace(with: acc1, where: acc1 .> acc0)
        var m = horizontalMax(acc0)
        while i < n { if x[i] > m { m = x[i] }; i += 1 }
        return m
    }

    /// The largest lane, by halving (`SIMD.max()` compiles to a lane-by-lane loop with NaN checks).
    @inline(__always)
    static func horizontalMax(_ v: SIMD16<Float>) -> Float {
        var a8 = v.lowHalf
        a8.replace(with: v.highHalf, where: v.highHalf .> a8)
        var a4 = a8.lowHalf
        a4.replace(with: a8.highHalf, where: a8.highHalf .> a4)
        var a2 = a4.lowHalf
        a2.replace(with: a4.highHalf, where: a4.highHalf .> a2)
        return a2[1] > a2[0] ? a2[1] : a2[0]
    }
}
