import Foundation
import SEDDKernels
import SEDDModel

/// The ELBO of some positions given the others: only the positions in `noised` go through the
/// forward process, the rest stay clean, and the loss is summed over the noised positions only.
/// For the absorbing graph this bounds -log p(span | context) under the model's conditional sampler,
/// which is exactly how an infill is asked for (the context fixed, the hole masked).
///
/// Same draws as training (`NoisedBatch`: t = (1 - 1e-3) U + 1e-3, per-token moves), the same
/// score-entropy terms (`DiffusionGraph.scoreEntropy`), averaged over `samples` times per sequence.
public final class ConditionalELBOEvaluator {
    public let network: SEDDNetwork
    public let batch: Int
    let graph: any DiffusionGraph
    let noise: NoiseSchedule
    private let pool: WorkspacePool

    public init(network: SEDDNetwork, batch: Int = 8) {
        precondition(batch >= 1, "batch must be positive")
        self.network = network
        self.batch = batch
        graph = makeGraph(network.config)
        noise = NoiseSchedule(config: network.config)
        pool = WorkspacePool(config: network.config, limit: 8)
    }

    /// Nats of the noised positions of one sequence (mean over `samples` time draws from `seed`).
    /// - Parameter noised: the positions scored (the hole); every other position is clean context.
    public func nats(sequence: [Int32], noised: [Int], samples: Int, seed: UInt64) -> Double {
        precondition(samples >= 1, "at least one time sample")
        precondition(noised.allSatisfy { $0 >= 0 && $0 < sequence.count }, "noised positions must lie in the sequence")
        let L = sequence.count
        var rng = SeededRandom(seed: seed)
        var total = 0.0
        var done = 0
        while done < samples {
            let B = min(batch, samples - done)
            let ws = pool.workspace(batch: B, length: L)
            let t = (0..<B).map { _ in (1 - NoisedBatch.samplingEpsilon) * rng.nextFloat() + NoisedBatch.samplingEpsilon }
            let sigma = t.map(noise.total), dsigma = t.map(noise.rate)
            for b in 0..<B {
                for l in 0..<L { ws.ids[b * L + l] = sequence[l] }
                for p in noised {
                    let move = rng.nextFloat()
                    let token = graph.isAbsorbing ? 0 : rng.nextDouble()
                    ws.ids[b * L + p] = Int32(graph.sampleTransition(Int(sequence[p]), sigma: sigma[b], moveUniform: move, tokenUniform: token))
                }
                ws.sigma[b] = sigma[b]
            }
            let rows = (0..<B).flatMap { b in noised.map { b * L + $0 } }
            ws.setHeadRows(rows)
            network.forward(ws)
            let V = graph.dim
            for (k, r) in rows.enumerated() {
                let b = r / L, p = r % L
                let e = graph.scoreEntropy(ws.logits.pointer + k * V, sigma: sigma[b], x: Int(ws.ids[r]), x0: Int(sequence[p]))
                total += Double(dsigma[b]) * Double(e)
            }
            done += B
        }
        return total / Double(samples)
    }
}
