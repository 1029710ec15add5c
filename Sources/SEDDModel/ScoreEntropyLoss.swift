import SEDDKernels

/// The reference's training objective (spec 5.1) on a batch the forward pass has scored:
/// `loss_b = sum_l dsigma_b * scoreEntropy(logScore[b, l], sigma_b, x_t[b, l], x0[b, l])`, and the
/// optimised quantity is the batch mean of `loss_b`.
///
/// Per-position entropies are computed in parallel and summed per sequence serially in Double, so the
/// result does not depend on the thread count.
public enum ScoreEntropyLoss {
    /// Per-sequence losses [B] for the log-scores in `ws.logits` (`ws.ids` = x_t): every position,
    /// or, with the absorbing graph, only the head rows (the masked positions; the entropy is zero
    /// at the others).
    public static func losses(
        graph: any DiffusionGraph, ws: ForwardWorkspace, x0: UnsafePointer<Int32>, sigma: [Float], dsigma: [Float]
    ) -> [Double] {
        precondition(ws.headRowCount == ws.batch * ws.length || graph.isAbsorbing, "the loss needs a log-score at every position")
        let L = ws.length, V = graph.dim
        let logits = ws.logits.pointer, xt = ws.ids.pointer
        return perSequence(ws, sigma: sigma, dsigma: dsigma) { i, r in
            graph.scoreEntropy(logits + i * V, sigma: sigma[r / L], x: Int(xt[r]), x0: Int(x0[r]))
        }
    }

    /// Runs `entropy(headRow, position)` for every head row in parallel and returns, per sequence b,
    /// dsigma_b times the sum of its entropies, summed serially in Double (positions without a head row
    /// count zero), so the result does not depend on the thread count.
    static func perSequence(
        _ ws: ForwardWorkspace, sigma: [Float], dsigma: [Float], entropy rowEntropy: (Int, Int) -> Float
    ) -> [Double] {
        let B = ws.batch, L = ws.length
        let rows = ws.headRowCount
        precondition(sigma.count == B && dsigma.count == B, "sigma and dsigma must have one value per sequence")
        let mark = PhaseTimer.start()
        defer { PhaseTimer.stop(.loss, mark) }
        let entropy = ws.lossEntropy
        if rows < B * L { entropy.update(repeating: 0, count: B * L) }
        let headRows = ws.headRows.pointer
        Parallel.forRange(rows, grain: 8) { range in
            for i in range {
                let r = Int(headRows[i])
                entropy[r] = Double(rowEntropy(i, r))
            }
        }
        return (0..<B).map { b in
            var s = 0.0
            for l in 0..<L { s += entropy[b * L + l] }
            return Double(dsigma[b]) * s
        }
    }

    /// `lossesAndGradient` for the absorbing graph: entropy and gradient of each head row in one pass,
    /// in place (`AbsorbingGraph.scoreEntropyAndGradientInPlace`), the same numbers bit for bit.
    static func fusedAbsorbing(
        _ graph: AbsorbingGraph, ws: ForwardWorkspace, x0: UnsafePointer<Int32>, sigma: [Float], dsigma: [Float]
    ) -> [Double] {
        let B = ws.batch, L = ws.length, V = graph.dim
        let logits = ws.logits.pointer, xt = ws.ids.pointer
        return perSequence(ws, sigma: sigma, dsigma: dsigma) { i, r in
            let b = r / L
            return graph.scoreEntropyAndGradientInPlace(
                logits + i * V, sigma: sigma[b], x: Int(xt[r]), x0: Int(x0[r]), weight: dsigma[b] / Float(B))
        }
    }

    /// Like `losses`, then replaces `ws.logits` (its head rows) by d mean_b(loss_b) / d logScore, ready
    /// for `SEDDNetwork.backward`. Returns the per-sequence losses [B].
    public static func lossesAndGradient(
        graph: any DiffusionGraph, ws: ForwardWorkspace, x0: UnsafePointer<Int32>, sigma: [Float], dsigma: [Float]
    ) -> [Double] {
        precondition(ws.lossRowSlots > 0, "the loss gradient needs a training workspace")
        if let absorbing = graph as? AbsorbingGraph {
            return fusedAbsorbing(absorbing, ws: ws, x0: x0, sigma: sigma, dsigma: dsigma)
        }
        let out = losses(graph: graph, ws: ws, x0: x0, sigma: sigma, dsigma: dsigma)
        let mark = PhaseTimer.start()
        defer { PhaseTimer.stop(.loss, mark) }
        let B = ws.batch, L = ws.length, V = graph.dim
        let logits = ws.logits.pointer, xt = ws.ids.pointer, headRows = ws.headRows.pointer
        // The gradient of a row depends on the whole row, so each chunk writes into its own scratch row
        // and copies it back over the log-score.
        let scratch = ws.lossRowScratch.pointer
        Parallel.forChunks(ws.headRowCount, grain: 8, maxChunks: ws.lossRowSlots) { chunk, range in
            let row = scratch + chunk * V
            for i in range {
                let r = Int(headRows[i])
                let b = r / L
                let weight = dsigma[b] / Float(B)
                graph.scoreEntropyGradient(
                    logits + i * V, sigma: sigma[b], x: Int(xt[r]), x0: Int(x0[r]), weight: weight, into: row)
                (logits + i * V).update(from: row, count: V)
            }
        }
        return out
    }
}
