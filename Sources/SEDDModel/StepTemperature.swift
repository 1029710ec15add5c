import SEDDKernels

#if canImport(Glibc)
    import Glibc
#endif

/// Temperature of a sampling step: it sharpens *where* a position goes, never *whether* it moves.
///
/// A step's probability row splits into staying at the current token and moving to each other state.
/// The move mass is left as the reference computes it, so the noise schedule still decides how many
/// positions change per step (with the absorbing graph: how many masks are revealed); only its
/// spread over the destinations is tempered, p_j ∝ p_j^(1/T). T = 1 is the reference's step, T = 0
/// sends the whole move mass to the most likely destination (ties to the lowest id), and T > 1
/// flattens. An editor wants the most likely fill, not a fair sample of fills: the engine's
/// default comes from measuring exact match (docs/default-model.md).
public enum StepTemperature {
    public static let range: ClosedRange<Double> = 0...2

    /// Tempers `row[0..<count]` in place, except `row[current]` (the stay mass, when current < count).
    /// The general path and the oracle of the fused absorbing row.
    public static func apply(_ row: UnsafeMutablePointer<Float>, count: Int, current: Int, temperature: Float) {
        guard temperature != 1 else { return }
        var mass = 0.0, best = -1
        for j in 0..<count where j != current && row[j] > 0 {
            mass += Double(row[j])
            if best < 0 || row[j] > row[best] { best = j }
        }
        guard best >= 0 else { return }
        if temperature == 0 {
            for j in 0..<count where j != current { row[j] = 0 }
            row[best] = Float(mass)
            return
        }
        let top = logf(row[best])
        var total = 0.0
        for j in 0..<count where j != current {
            row[j] = row[j] > 0 ? expf((logf(row[j]) - top) / temperature) : 0
            total += Double(row[j])
        }
        let scale = Float(mass / total)
        for j in 0..<count where j != current { row[j] *= scale }
    }
}

extension StepTemperature {
    /// The share of the likeliest destination in the move mass of `row` (0 when nothing can move).
    public static func confidence(_ row: UnsafePointer<Float>, count: Int, current: Int) -> Float {
        var mass = 0.0, top: Float = 0
        for j in 0..<count where j != current && row[j] > 0 {
            mass += Double(row[j])
            top = max(top, row[j])
        }
        return mass > 0 ? Float(Double(top) / mass) : 0
    }
}

extension AbsorbingGraph {
    /// `maskedStepProbabilities` with the tokens' mass tempered (`StepTemperature`), computed from the
    /// log scores directly: off the mask p_j ∝ e^l_j, so the tempered share is e^((l_j - max l)/T).
    /// The mask's entry (the chance to stay masked) is the untempered one. Returns the confidence of
    /// the position: the untempered share of its most likely token among the tokens.
    @discardableResult
    public func maskedStepProbabilities(
        _ logScore: UnsafePointer<Float>, dsigma: Float, temperature: Float, into out: UnsafeMutablePointer<Float>
    ) -> Float {
        maskedStepProbabilities(logScore, dsigma: dsigma, into: out)
        let tokens = dim - 1
        var mass = 0.0
        for j in 0..<tokens { mass += Double(out[j]) }
        var best = 0
        for j in 1..<tokens where out[j] > out[best] { best = j }
        let confidence = mass > 0 ? Float(Double(out[best]) / mass) : 0
        guard temperature != 1 else { return confidence }
        if temperature == 0 || !(mass > 0) {
            out.update(repeating: 0, count: tokens)
            out[best] = Float(mass)
            return confidence
        }
        let top = logScore[best], inverse = 1 / temperature
        for j in 0..<tokens { out[j] = (logScore[j] - top) * inverse }
        let total = FastMath.expScaled(out, scale: 1, into: out, count: tokens)
        let scale = Float(mass / total)
        for j in 0..<tokens { out[j] *= scale }
        return confidence
    }
}
