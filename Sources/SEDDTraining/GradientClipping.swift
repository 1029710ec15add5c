import Foundation
import SEDDKernels

/// torch's `clip_grad_norm_` over the flat gradient buffer, and the finiteness check that stands in
/// for the reference GradScaler's step skipping.
public enum GradientClipping {
    /// The global L2 norm (accumulated in Double, in a fixed order, so it is reproducible).
    public static func norm(_ g: UnsafePointer<Float>, count: Int) -> Double {
        var s = 0.0
        for i in 0..<count { let x = Double(g[i]); s += x * x }
        return s.squareRoot()
    }

    /// Scales the gradients by maxNorm / (norm + 1e-6) when that is below 1; returns the norm before.
    @discardableResult
    public static func clip(_ g: UnsafeMutablePointer<Float>, count: Int, maxNorm: Double) -> Double {
        let n = norm(g, count: count)
        let coefficient = maxNorm / (n + 1e-6)
        if coefficient < 1 {
            let c = Float(coefficient)
            for i in 0..<count { g[i] *= c }
        }
        return n
    }
}
