import Foundation
import SEDDKernels
import SEDDModel

/// The likelihood bound of spec 5.2: for each block, the reference's loss (eval mode, no dropout)
/// averaged over K random times. Its mean per token bounds the negative log-likelihood in nats.
public struct ELBOResult: Sendable, Codable, Equatable {
    public var blocks: Int
    public var samplesPerBlock: Int
    public var tokens: Int
    /// UTF-8 bytes of the evaluated text (end-of-text separators excluded).
    public var bytes: Int
    public var totalNats: Double
    public var natsPerToken: Double
    /// total nats / ln 2 / bytes.
    public var bitsPerByte: Double
    /// exp(nats per token): an upper bound on the perplexity.
    public var perplexityBound: Double
    /// Standard error of nats per token, across the blocks x samples estimates.
    public var standardError: Double
}

public final class ELBOEvaluator {
    public let network: SEDDNetwork
    public let batch: Int
    let graph: any DiffusionGraph
    let noise: NoiseSchedule
    private let pool: WorkspacePool

    /// - Parameter batch: how many (block, time) pairs go through the network at once.
    public init(network: SEDDNetwork, batch: Int = 8) {
        precondition(batch >= 1, "batch must be positive")
        self.network = network
        self.batch = batch
        graph = makeGraph(network.config)
        noise = NoiseSchedule(config: network.config)
        pool = WorkspacePool(config: network.config, limit: 4)
    }

    /// Evaluates `blocks` (token ids; blocks may differ in length, e.g. a shorter last one), each
    /// with `samples` times t = (1 - 1e-3) U + 1e-3 drawn from `seed`.
    public func evaluate(blocks: [[Int32]], bytes: Int, samples: Int, seed: UInt64) -> ELBOResult {
        precondition(samples >= 1, "at least one time sample per block")
        var rng = SeededRandom(seed: seed)
        // Per (block, sample): loss of the whole block. Grouped by length so each batch has one shape.
        var perBlock = [[Double]](repeating: [], count: blocks.count)
        let byLength = Dictionary(grouping: blocks.indices, by: { blocks[$0].count })
        for length in byLength.keys.sorted(by: >) {
            let pairs = byLength[length]!.flatMap { b in (0..<samples).map { _ in b } }
            var start = 0
            while start < pairs.count {
                let chunk = Array(pairs[start..<min(start + batch, pairs.count)])
                let losses = lossBatch(chunk.map { blocks[$0] }, length: length, rng: &rng)
                for (b, loss) in zip(chunk, losses) { perBlock[b].append(loss) }
                start += chunk.count
            }
        }
        let tokens = blocks.reduce(0) { $0 + $1.count }
        var total = 0.0
        var perToken: [Double] = []
        for (b, losses) in perBlock.enumerated() {
            total += losses.reduce(0, +) / Double(losses.count)
            perToken += losses.map { $0 / Double(blocks[b].count) }
        }
        let n = Double(perToken.count)
        let mean = perToken.reduce(0, +) / max(n, 1)
        let variance = n > 1 ? perToken.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
        let natsPerToken = tokens > 0 ? total / Double(tokens) : 0
        return ELBOResult(
            blocks: blocks.count, samplesPerBlock: samples, tokens: tokens, bytes: bytes, totalNats: total,
            natsPerToken: natsPerToken, bitsPerByte: bytes > 0 ? total / log(2) / Double(bytes) : .nan,
            perplexityBound: exp(natsPerToken), standardError: (variance / max(n, 1)).squareRoot())
    }

    /// Loss of each sequence of one batch (all of `length`), times and moves drawn from `rng`.
    private func lossBatch(_ sequences: [[Int32]], length L: Int, rng: inout SeededRandom) -> [Double] {
        let B = sequences.count
        let ws = pool.workspace(batch: B, length: L)
        let x0 = sequences.flatMap { $0.map(Int.init) }
        let noised = NoisedBatch(x0: x0, batch: B, graph: graph, noise: noise, rng: &rng)
        let clean = IntBuffer(count: B * L)
        for i in 0..<(B * L) {
            clean[i] = Int32(x0[i])
            ws.ids[i] = Int32(noised.xt[i])
        }
        for b in 0..<B { ws.sigma[b] = noised.sigma[b] }
        network.forward(ws)
        return ScoreEntropyLoss.losses(graph: graph, ws: ws, x0: clean.pointer, sigma: noised.sigma, dsigma: noised.dsigma)
    }
}
