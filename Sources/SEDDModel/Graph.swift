import SEDDKernels

/// A forward process over the model's vocabulary (spec section 3). Every function acts on one
/// position: a token id `i` and a row of `dim` floats, in the reference's fp32 order of operations.
public protocol DiffusionGraph: Sendable {
    var dim: Int { get }
    var isAbsorbing: Bool { get }
    /// Column i of Q.
    func rate(_ i: Int, into out: UnsafeMutablePointer<Float>)
    /// Row i of Q.
    func transpRate(_ i: Int, into out: UnsafeMutablePointer<Float>)
    /// Row i of exp(sigma Q); nil for absorbing (the reference leaves it unimplemented).
    func transition(_ i: Int, sigma: Float, into out: UnsafeMutablePointer<Float>) -> Bool
    /// Column i of exp(sigma Q).
    func transpTransition(_ i: Int, sigma: Float, into out: UnsafeMutablePointer<Float>)
    /// x_t from x_0 with one uniform `u` for the move and one for the replacement token.
    func sampleTransition(_ i: Int, sigma: Float, moveUniform: Float, tokenUniform: Double) -> Int
    /// `staggered_score(score, dsigma)`.
    func staggeredScore(_ score: UnsafePointer<Float>, dsigma: Float, into out: UnsafeMutablePointer<Float>)
    /// Score entropy of one position (before the dsigma weighting).
    func scoreEntropy(_ logScore: UnsafePointer<Float>, sigma: Float, x: Int, x0: Int) -> Float
    /// d scoreEntropy / d logScore, scaled by `weight` and written over `grad` (dim floats).
    func scoreEntropyGradient(_ logScore: UnsafePointer<Float>, sigma: Float, x: Int, x0: Int, weight: Float, into grad: UnsafeMutablePointer<Float>)
    /// A token of the limit distribution (mask for absorbing, uniform random for uniform).
    func limitToken(uniform: Double) -> Int
}

extension DiffusionGraph {
    /// `reverse_rate(i, score)`: transp_rate(i) * score, with entry i replaced by minus the row sum.
    public func reverseRate(_ i: Int, score: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        transpRate(i, into: out)
        for j in 0..<dim { out[j] *= score[j] }
        out[i] = 0
        var sum: Float = 0
        for j in 0..<dim { sum += out[j] }
        out[i] = -sum
    }
}

/// Builds the graph a config names.
public func makeGraph(_ config: SEDDConfig) -> any DiffusionGraph {
    switch config.graph {
    case .absorb: return AbsorbingGraph(tokens: config.tokens)
    case .uniform: return UniformGraph(tokens: config.tokens)
    }
}

/// esigm1 as the reference computes it: expm1 below 0.5, exp - 1 above.
@inline(__always)
func esigm1(_ sigma: Float) -> Float { sigma < 0.5 ? expm1f(sigma) : expf(sigma) - 1 }

#if canImport(Glibc)
    import Glibc
#endif
