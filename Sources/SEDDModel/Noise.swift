#if canImport(Glibc)
    import Glibc
#endif

/// Noise schedules (spec section 4): `total(t)` is the total noise sigma-bar(t), `rate(t)` its time
/// derivative. fp32 arithmetic in the reference's order, so fixtures match to the last bits.
public enum NoiseSchedule: Sendable, Equatable {
    /// sigma(t) = -log1p(-(1 - eps) t); eps is hard-coded 1e-3 in the reference (config sigmas ignored).
    case logLinear(eps: Float = 1e-3)
    /// sigma(t) = sigmaMin^(1-t) sigmaMax^t.
    case geometric(sigmaMin: Float, sigmaMax: Float)

    public init(config: SEDDConfig) {
        switch config.noise {
        case .loglinear: self = .logLinear()
        case .geometric: self = .geometric(sigmaMin: Float(config.sigmaMin), sigmaMax: Float(config.sigmaMax))
        }
    }

    public func total(_ t: Float) -> Float {
        switch self {
        case .logLinear(let eps):
            return -log1pf(-(1 - eps) * t)
        case .geometric(let lo, let hi):
            return powf(lo, 1 - t) * powf(hi, t)
        }
    }

    public func rate(_ t: Float) -> Float {
        switch self {
        case .logLinear(let eps):
            return (1 - eps) / (1 - (1 - eps) * t)
        case .geometric(let lo, let hi):
            return total(t) * (logf(hi) - logf(lo))
        }
    }
}
