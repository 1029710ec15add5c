import Foundation
import SEDDKernels
import SEDDModel
import Tokenizers

/// Scores fills: the model's estimate of each fill's log-likelihood per byte given its context.
///
/// One extra forward pass with every hole position masked at the end of the noise schedule (t = 1):
/// for the absorbing graph the score there is proportional to p0(token | unmasked context) (the
/// RADD identity, spec 9.1), so the log-softmax over real tokens at each hole position is a
/// mean-field estimate of the fill's conditional log-probability. Summed over the hole's tokens and
/// divided by the fill's bytes, it ranks candidates and drops bad ones (`minScore`).
struct FillScorer {
    let network: SEDDNetwork

    func score(sequences: [[Int]], holeRanges: [Range<Int>], workspace ws: ForwardWorkspace, tokenizer: any Tokenizer) -> [Double] {
        let config = network.config
        let B = sequences.count, L = ws.length, V = config.vocabularySize
        let mask = config.maskID
        let positions = holeRanges.flatMap { $0 }
        for b in 0..<B {
            for l in 0..<L { ws.ids[b * L + l] = Int32(sequences[b][l]) }
            if let mask { for p in positions { ws.ids[b * L + p] = Int32(mask) } }
            ws.sigma[b] = NoiseSchedule(config: config).total(1)
        }
        let rows = (0..<B).flatMap { b in positions.map { b * L + $0 } }
        ws.setHeadRows(config.graph == .absorb ? rows : nil)
        network.forward(ws)
        let real = config.tokens
        var scores = [Double](repeating: 0, count: B)
        for b in 0..<B {
            var logp = 0.0
            for (k, p) in positions.enumerated() {
                let row = config.graph == .absorb ? b * positions.count + k : b * L + p
                let logits = ws.logits.pointer + row * V
                var m = -Float.infinity
                for j in 0..<real where logits[j] > m { m = logits[j] }
                var z = 0.0
                for j in 0..<real { z += Double(expf(logits[j] - m)) }
                let token = sequences[b][p]
                if token < real { logp += Double(logits[token] - m) - log(z) }
            }
            let bytes = holeRanges.reduce(0) { $0 + tokenizer.decodeBytes(Array(sequences[b][$1])).count }
            scores[b] = logp / Double(max(bytes, 1))
        }
        return scores
    }
}

extension FillScorer {
    /// The same score from the sampler's first step (absorbing graph; see `FirstStepLogProbabilities`):
    /// log p0 summed over the captured hole positions, per byte of the fill. Healed edge positions
    /// (`leavingOut`) carry the user's bytes: they are left out of both sums.
    static func score(
        sequences: [[Int]], holeRanges: [Range<Int>], captured: FirstStepLogProbabilities, leavingOut: Set<Int> = [],
        tokenizer: any Tokenizer
    ) -> [Double] {
        sequences.map { seq in
            var logp = 0.0
            var scored: [Int] = []
            for range in holeRanges {
                for p in range where captured.contains(p) && !leavingOut.contains(p) {
                    logp += captured.logProbability(of: seq[p], at: p) ?? 0
                    scored.append(seq[p])
                }
            }
            let bytes = tokenizer.decodeBytes(scored).count
            return logp / Double(max(bytes, 1))
        }
    }
}
