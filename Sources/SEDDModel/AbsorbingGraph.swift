import SEDDKernels

#if canImport(Glibc)
    import Glibc
#endif

/// The absorbing graph: tokens + 1 states, the mask last. Tokens only ever move to the mask.
public struct AbsorbingGraph: DiffusionGraph {
    public let dim: Int
    public var mask: Int { dim - 1 }
    public var isAbsorbing: Bool { true }

    public init(tokens: Int) { dim = tokens + 1 }

    public func rate(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: dim)
        if i != mask {
            out[mask] = 1
            out[i] = -1
        }
    }

    public func transpRate(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        if i == mask {
            out.update(repeating: 1, count: dim)
            out[mask] = 0
        } else {
            out.update(repeating: 0, count: dim)
            out[i] = -1
        }
    }

    public func transition(_ i: Int, sigma: Float, into out: UnsafeMutablePointer<Float>) -> Bool { false }

    public func transpTransition(_ i: Int, sigma: Float, into out: UnsafeMutablePointer<Float>) {
        let e = expf(-sigma)
        if i == mask {
            out.update(repeating: 1 - e, count: dim)
            out[mask] = e + (1 - e)
        } else {
            out.update(repeating: 0, count: dim)
            out[i] = e
        }
    }

    public func sampleTransition(_ i: Int, sigma: Float, moveUniform: Float, tokenUniform: Double) -> Int {
        moveUniform < 1 - expf(-sigma) ? mask : i
    }

    public func staggeredScore(_ score: UnsafePointer<Float>, dsigma: Float, into out: UnsafeMutablePointer<Float>) {
        let e = expf(dsigma)
        var sum: Double = 0
        for j in 0..<dim { sum += Double(score[j]) }
        let extra = (1 - e) * Float(sum)
        for j in 0..<dim { out[j] = score[j] * e }
        out[mask] += extra
    }

    public func scoreEntropy(_ s: UnsafePointer<Float>, sigma: Float, x: Int, x0: Int) -> Float {
        guard x == mask else { return 0 }
        let ratio = 1 / esigm1(sigma)
        let neg = ratio * s[x0]
        // The vectorised exp (within 2 ulp of expf): this sum over the vocabulary is the loss's hot loop.
        let pos = FastMath.sumOfExp(s, count: dim - 1)
        let const = ratio * (logf(ratio) - 1)
        return Float(pos) - neg + const
    }

    public func scoreEntropyGradient(_ s: UnsafePointer<Float>, sigma: Float, x: Int, x0: Int, weight: Float, into grad: UnsafeMutablePointer<Float>) {
        grad.update(repeating: 0, count: dim)
        guard x == mask else { return }
        let ratio = 1 / esigm1(sigma)
        FastMath.exp(s, into: grad, count: dim - 1)
        for j in 0..<(dim - 1) { grad[j] *= weight }
        grad[x0] -= weight * ratio
    }

    public func limitToken(uniform: Double) -> Int { mask }
}

extension AbsorbingGraph {
    /// The analytic (or denoiser) step's probability row at a masked position, from its log-score row,
    /// in one vector pass: what `exp`, `staggeredScore`, `transpTransition(mask)` and their product
    /// compute one after another (`SamplerCore`'s general path, the test oracle), with the same
    /// factors: probs[j] = e^l_j * e^ds * (1 - e^-ds) off the mask, and at the mask
    /// (e^l_mask * e^ds + (1 - e^ds) * sum_j e^l_j) * (e^-ds + (1 - e^-ds)).
    /// The sum runs in fp32 lanes per 16 and in Double across them (the oracle sums in Double).
    public func maskedStepProbabilities(_ logScore: UnsafePointer<Float>, dsigma: Float, into out: UnsafeMutablePointer<Float>) {
        let e = expf(dsigma), eNeg = expf(-dsigma)
        let offMask = e * (1 - eNeg)
        let total = FastMath.expScaled(logScore, scale: offMask, into: out, count: dim)
        let scoreAtMask = FastMath.exp(logScore[mask])
        out[mask] = (scoreAtMask * e + (1 - e) * Float(total)) * (eNeg + (1 - eNeg))
    }
}

extension AbsorbingGraph {
    /// `scoreEntropy` and `scoreEntropyGradient` of one log-score row in one pass over the vocabulary,
    /// the gradient written over the row (training's loss step reads each exp once instead of twice).
    /// Bit for bit what the two give: the same vector exp, the same chunk-wise Double sum, the same
    /// products.
    public func scoreEntropyAndGradientInPlace(_ s: UnsafeMutablePointer<Float>, sigma: Float, x: Int, x0: Int, weight: Float) -> Float {
        guard x == mask else {
            s.update(repeating: 0, count: dim)
            return 0
        }
        let ratio = 1 / esigm1(sigma)
        let neg = ratio * s[x0]
        let pos = FastMath.expScaled(s, scale: weight, into: s, count: dim - 1)
        s[mask] = 0
        s[x0] -= weight * ratio
        let const = ratio * (logf(ratio) - 1)
        return Float(pos) - neg + const
    }
}
