#if canImport(Glibc)
    import Glibc
#endif

/// Pointwise activations of the reference: GELU with the tanh approximation (the MLP) and SiLU (the
/// sigma embedding). Forward and backward side by side.
public enum Activation {
    static let geluC: Float = 0.7978845608028654  // sqrt(2 / pi)
    static let geluA: Float = 0.044715

    /// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise over n values.
    public static func geluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Parallel.forRange(n, grain: 4096) { range in
            for i in range {
                let v = x[i]
                y[i] = 0.5 * v * (1 + tanhf(geluC * (v + geluA * v * v * v)))
            }
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
