import SEDDKernels
import SEDDModel

/// The reference's draw of one training batch's noise (spec 5.1): one t per sequence,
/// t = (1 - 1e-3) U + 1e-3; sigma, dsigma = noise(t); x_t = graph.sample_transition(x0, sigma).
public struct NoisedBatch {
    public var t: [Float]
    public var sigma: [Float]
    public var dsigma: [Float]
    public var xt: [Int]

    public static let samplingEpsilon: Float = 1e-3

    /// Draws t for each of the `batch` sequences, then the per-token moves, from `rng`. A sequence
    /// with a range in `noisedOnly` is noised only there (the rest stays x0); the draws are the same
    /// either way, so the choice shifts no other sequence's noise.
    public init(
        x0: [Int], batch B: Int, graph: any DiffusionGraph, noise: NoiseSchedule, rng: inout SeededRandom,
        noisedOnly: [Range<Int>?]? = nil
    ) {
        precondition(B > 0 && x0.count % B == 0, "x0 must hold whole sequences")
        let L = x0.count / B
        t = (0..<B).map { _ in (1 - Self.samplingEpsilon) * rng.nextFloat() + Self.samplingEpsilon }
        sigma = t.map(noise.total)
        dsigma = t.map(noise.rate)
        var xt = x0
        for i in 0..<x0.count {
            let move = rng.nextFloat()
            let token = graph.isAbsorbing ? 0 : rng.nextDouble()
            if let range = noisedOnly?[i / L], !range.contains(i % L) { continue }
            xt[i] = graph.sampleTransition(x0[i], sigma: sigma[i / L], moveUniform: move, tokenUniform: token)
        }
        self.xt = xt
    }

    /// A batch at given times (for evaluation at chosen t).
    public init(x0: [Int], t: [Float], graph: any DiffusionGraph, noise: NoiseSchedule, rng: inout SeededRandom) {
        let B = t.count
        precondition(B > 0 && x0.count % B == 0, "x0 must hold whole sequences")
        let L = x0.count / B
        self.t = t
        sigma = t.map(noise.total)
        dsigma = t.map(noise.rate)
        var xt = x0
        for i in 0..<x0.count {
            let move = rng.nextFloat()
            let token = graph.isAbsorbing ? 0 : rng.nextDouble()
            xt[i] = graph.sampleTransition(x0[i], sigma: sigma[i / L], moveUniform: move, tokenUniform: token)
        }
        self.xt = xt
    }
}
