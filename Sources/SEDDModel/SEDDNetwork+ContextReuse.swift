import SEDDKernels

extension SEDDNetwork {
    /// A fused bf16 inference pass that runs every block on the context cache's active rows only
    /// (`ContextCache`, pass `reuse`): each block's LN1, qkv and rotary make the active rows' queries,
    /// keys and values, the keys and values written over the cache's at those positions (the rest of
    /// the cache is the last recording's context); the active queries attend to every position
    /// (`AttentionBF16.forwardInferenceGatheredRows`); attn_out, the residuals, LN2 and the MLP run on
    /// compact [n, ...] buffers (row i for position `activeRows[i]`). The residual stream is updated
    /// at the active rows only; the output head reads it at the head rows, which must be active.
    ///
    /// Each row's arithmetic is the full pass's (the same row kernels and one-thread oneDNN products
    /// on fewer rows), so with nothing changed since the recording the head rows' logits are the full
    /// pass's (`ContextReuseTests`). Products run on the active-row count rounded up like the head's;
    /// the padding rows read stale finite activations and are never written to the residual stream
    /// or the cache.
    func runBlocksBF16Reusing(
        _ cache: ContextCache, ws: ForwardWorkspace, weights: NetworkBF16Weights, rotary: RotaryTable, modulations: Modulations
    ) {
        let c = config, p = parameters
        let B = ws.batch, L = ws.length, H = c.hiddenSize, nh = c.heads, d = c.headDim
        let n = cache.activeRowCount, positions = UnsafePointer(cache.activeRows.pointer)
        let (a, a16, x, modulationBuffers, attentionScratch) = ws.fusedInferenceBuffers
        let slots = attentionScratch.slots
        let qScale = 1 / Float(d).squareRoot()
        let productRows = roundedHeadRows(n, capacity: B * L)

        /// Compact qkv rows `rows` = h1 W^T, then rotary for the real ones among them, written at
        /// their positions into q and block i's cached keys and values.
        func qkvAndRotary(block i: Int, _ rows: Range<Int>, real: Range<Int>, slot: Int) {
            let r0 = rows.lowerBound
            LinearBF16.forwardOnCallingThread(
                x: a16.h1.bf16 + r0 * H, weights: weights.blocks[i].qkv, bias: nil, y: .f32(a.qkv.pointer + r0 * 3 * H),
                M: rows.count, slot: slot)
            rotary.applySplitBF16(
                gathered: real, positions: positions, a.qkv.pointer, L: L, heads: nh, qScale: qScale, q: a16.q.bf16,
                k: cache.keys[i].bf16, v: cache.values[i].bf16)
        }

        PhaseTimer.time(.adaLN) { modulate(slot: 0, width: 6 * H, prefix: "blocks.0.", into: modulationBuffers[0], ws: ws, modulations) }
        PhaseTimer.time(.blockRows) {
            let m = modulationBuffers[0], norm = p.pointer("blocks.0.norm1.weight")
            Parallel.forChunks(productRows, grain: 16, maxChunks: slots) { slot, rows in
                let real = realRows(rows, count: n)
                LayerNorm.forwardModulatedRowsBF16(
                    gathered: real, positions: positions, x: x, weight: norm, shift: m, scale: m + H, modStride: 6 * H,
                    out: a16.h1.bf16, mean: nil, rstd: nil, L: L, H: H)
                qkvAndRotary(block: 0, rows, real: real, slot: slot)
            }
        }
        for i in 0..<c.blocks {
            let pre = "blocks.\(i).", w = weights.blocks[i]
            let mod = modulationBuffers[i % 2], next = modulationBuffers[(i + 1) % 2]
            let last = i + 1 == c.blocks, nextPre = "blocks.\(i + 1)."
            PhaseTimer.time(.attention) {
                AttentionBF16.forwardInferenceGatheredRows(
                    q: a16.q.bf16, k: cache.keys[i].bf16, v: cache.values[i].bf16, out: a16.attn.bf16, rows: positions,
                    rowCount: n, scratch: attentionScratch, B: B, L: L, heads: nh, headDim: d)
            }
            if !last { PhaseTimer.time(.adaLN) { modulate(slot: i + 1, width: 6 * H, prefix: nextPre, into: next, ws: ws, modulations) } }
            let nextNorm1 = last ? nil : p.pointer(nextPre + "norm1.weight")
            PhaseTimer.time(.blockRows) {
                Parallel.forChunks(productRows, grain: 16, maxChunks: slots) { slot, rows in
                    let real = realRows(rows, count: n)
                    attentionOutputAndMLPGatheredBF16(
                        a16, a, w, prefix: pre, mod: mod, rows: rows, real: real, positions: positions, x: x, slot: slot, L: L)
                    guard let nextNorm1 else {
                        GatedResidual.forward(
                            gathered: real, positions: positions, x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H,
                            modStride: 6 * H, L: L, H: H)
                        return
                    }
                    GatedResidual.forwardThenLayerNormBF16(
                        gathered: real, positions: positions, x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H,
                        gateStride: 6 * H, weight: nextNorm1, shift: next, scale: next + H, modStride: 6 * H,
                        out: a16.h1.bf16, L: L, H: H)
                    qkvAndRotary(block: i + 1, rows, real: real, slot: slot)
                }
            }
        }
        ws.lastBlockRowCount = n
    }
}
