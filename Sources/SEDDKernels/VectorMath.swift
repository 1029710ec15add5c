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
        var acc = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= n {
            // A masked replace: `pointwiseMax` compiles to per-lane code here (40x slower).
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            acc.replace(with: v, where: v .> acc)
            i += 16
        }
        var m = acc.max()
        while i < n { if x[i] > m { m = x[i] }; i += 1 }
        return m
    }
}
