#if canImport(Glibc)
    import Glibc
#endif

/// Pointwise activations of the reference: GELU with the tanh approximation (the MLP) and SiLU (the
/// sigma embedding). Forward and backward side by side.
public enum Activation {
    static let geluC: Float = 0.7978845608028654  // sqrt(2 / pi)
    static let geluA: Float = 0.044715

    /// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise over n values, with tanh from
    /// one vectorised exp (`FastMath.tanh`): glibc's tanhf made this the forward's slowest pointwise op.
    public static func geluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Parallel.forRange((n + 4095) / 4096, grain: 1) { blocks in
            let start = blocks.lowerBound * 4096, end = min(n, blocks.upperBound * 4096)
            var i = start
            while i + 16 <= end {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(y + i).storeBytes(of: gelu(v), as: SIMD16<Float>.self)
                i += 16
            }
            if i < end { FastMath.storePartial(gelu(FastMath.loadPartial(x + i, end - i, fill: 0)), y + i, end - i) }
        }
    }

    /// GELU of fp32 inputs written as bf16 (the bf16 path's MLP hidden layer in training, where the
    /// fp32 pre-activation is kept for the backward pass).
    public static func geluForwardBF16(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<UInt16>, _ n: Int) {
        Parallel.forRange((n + 4095) / 4096, grain: 1) { blocks in
            let start = blocks.lowerBound * 4096, end = min(n, blocks.upperBound * 4096)
            var i = start
            while i + 16 <= end {
                BFloat16.store(gelu(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)), to: y + i)
                i += 16
            }
            while i < end { y[i] = BFloat16.fromFloat(gelu(SIMD16<Float>(repeating: x[i]))[0]); i += 1 }
        }
    }

    @inline(__always)
    static func gelu(_ v: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        let u = V(repeating: geluC) * (v + V(repeating: geluA) * v * v * v)
        return V(repeating: 0.5) * v * (V(repeating: 1) + FastMath.tanh(u))
    }

    /// The naive twin of `geluForward` (glibc tanhf, one value at a time): the test oracle.
    public static func geluForwardNaive(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let v = x[i]
            y[i] = 0.5 * v * (1 + tanhf(geluC * (v + geluA * v * v * v)))
        }
    }

    /// dx = dy * gelu'(x). `dx` may alias `dy`.
    public static func geluBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        Parallel.forRange(n, grain: 4096) { range in
            for i in range {
                let v = x[i]
                let u = geluC * (v + geluA * v * v * v)
                let t = tanhf(u)
                let du = geluC * (1 + 3 * geluA * v * v)
                dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
            }
        }
    }

    /// y = x * sigmoid(x). `y` may alias `x`.
    public static func siluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { let v = x[i]; y[i] = v / (1 + expf(-v)) }
    }

    /// dx = dy * (s + x s (1 - s)), s = sigmoid(x).
    public static func siluBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let v = x[i]
            let s = 1 / (1 + expf(-v))
            dx[i] = dy[i] * (s + v * s * (1 - s))
        }
    }
}
