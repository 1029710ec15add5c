#if canImport(Glibc)
    import Glibc
#endif

/// The uniform graph: every token jumps to any other at rate 1/N (Q scaled by 1/N).
public struct UniformGraph: DiffusionGraph {
    public let dim: Int
    public var isAbsorbing: Bool { false }

    public init(tokens: Int) { dim = tokens }

    public func rate(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 1 / Float(dim), count: dim)
        out[i] = -Float(Double(dim - 1) / Double(dim))
    }

    public func transpRate(_ i: Int, into out: UnsafeMutablePointer<Float>) { rate(i, into: out) }

    public func transition(_ i: Int, sigma: Float, into out: UnsafeMutablePointer<Float>) -> Bool {
        let off = (1 - expf(-sigma)) / Float(dim)
        out.update(repeating: off, count: dim)
        out[i] = 0
        var sum: Double = 0
        for j in 0..<dim { sum += Double(out[j]) }
        out[i] = 1 - Float(sum)
        return true
    }

    public func transpTransition(_ i: Int, sigma: Float, into out: UnsafeMutablePointer<Float>) {
        _ = transition(i, sigma: sigma, into: out)
    }

    public func sampleTransition(_ i: Int, sigma: Float, moveUniform: Float, tokenUniform: Double) -> Int {
        moveUniform < 1 - expf(-sigma) ? min(dim - 1, Int(tokenUniform * Double(dim))) : i
    }

    public func staggeredScore(_ score: UnsafePointer<Float>, dsigma: Float, into out: UnsafeMutablePointer<Float>) {
        let epow = expf(-dsigma)
        var sum: Double = 0
        for j in 0..<dim { sum += Double(score[j]) }
        let coefficient = (epow - 1) / (Float(dim) * epow)
        let shift = coefficient * Float(sum)
        for j in 0..<dim { out[j] = shift + score[j] / epow }
    }

    public func scoreEntropy(_ s: UnsafePointer<Float>, sigma: Float, x: Int, x0: Int) -> Float {
        let n = Float(dim)
        let e = esigm1(sigma)
        let ratio = 1 - n / (e + n)
        var sumS: Double = 0, sumExp: Double = 0
        for j in 0..<dim {
            sumS += Double(s[j])
            sumExp += Double(expf(s[j]))
        }
        let neg0 = Float(sumS / Double(dim)) - s[x] / n
        let neg = x == x0 ? ratio * neg0 : s[x0] / e + neg0
        let pos = Float(sumExp / Double(dim)) - expf(s[x]) / n
        let const: Float
        if x == x0 {
            const = Float(Double(dim - 1) / Double(dim)) * ratio * (logf(ratio) - 1)
        } else {
            const = ((-logf(ratio) - 1) / ratio - Float(dim - 2)) / n
        }
        return pos - neg + const
    }

    public func scoreEntropyGradient(_ s: UnsafePointer<Float>, sigma: Float, x: Int, x0: Int, weight: Float, into grad: UnsafeMutablePointer<Float>) {
        let n = Float(dim)
        let e = esigm1(sigma)
        let ratio = 1 - n / (e + n)
        let negScale: Float = x == x0 ? ratio : 1
        for j in 0..<dim { grad[j] = weight * (expf(s[j]) / n - negScale / n) }
        grad[x] -= weight * (expf(s[x]) / n - negScale / n)
        if x != x0 { grad[x0] -= weight / e }
    }

    public func limitToken(uniform: Double) -> Int { min(dim - 1, Int(uniform * Double(dim))) }
}
