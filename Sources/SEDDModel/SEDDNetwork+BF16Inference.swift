import SEDDKernels

extension SEDDNetwork {
    /// Every block of a bf16 inference pass in two parallel regions instead of `runBlockBF16`'s
    /// fourteen (each a wait for the slowest thread, and half of them OpenMP's inside oneDNN, half
    /// GCD's):
    ///
    /// 1. the attention, in row blocks (`AttentionBF16.forwardInferenceRowBlocks`): it needs every
    ///    position's k and v;
    /// 2. everything else, which is row-local: each thread takes its rows through attn_out, the
    ///    gated residual fused with LN2, mlp.0 (+ bias + GELU), mlp.2, the gated residual fused with
    ///    the next block's LN1, the next block's qkv and rotary. The products run on the thread's own
    ///    one-thread oneDNN primitives over its rows (`LinearBF16.forwardOnCallingThread`).
    ///
    /// Block 0's LN1, qkv and rotary run as a row-local region of their own; the last block's
    /// stretch ends at its residual (the final LayerNorm reads only the head rows); with fewer head
    /// rows than positions it runs on the head rows only (`runLastBlockOnHeadRowsBF16`). The next block's
    /// adaLN modulation is needed inside the current block's region, so blocks alternate between two
    /// modulation buffers. The arithmetic is `runBlockBF16`'s, with the products split by rows
    /// (oneDNN may then accumulate in another order); `fusedInference = false` runs the op-by-op
    /// path, the oracle of the model-level test. With `record` each block's keys and values are
    /// made in the context cache's buffers for that block and stay there.
    func runBlocksBF16Inference(
        ws: ForwardWorkspace, weights: NetworkBF16Weights, rotary: RotaryTable, modulations: Modulations,
        record: ContextCache? = nil
    ) {
        let c = config, p = parameters
        let B = ws.batch, L = ws.length, H = c.hiddenSize, nh = c.heads, d = c.headDim
        let rowCount = B * L
        // Block i's modulation [B, 6H]: shift, scale, gate (attention), shift, scale, gate (MLP).
        let (a, a16, x, modulationBuffers, attentionScratch) = ws.fusedInferenceBuffers
        let slots = attentionScratch.slots
        let qScale = 1 / Float(d).squareRoot()

        /// Block i's keys and values: the cache's when recording, else the one shared pair.
        func keys(_ i: Int) -> UnsafeMutablePointer<UInt16> { record?.keys[i].bf16 ?? a16.k.bf16 }
        func values(_ i: Int) -> UnsafeMutablePointer<UInt16> { record?.values[i].bf16 ?? a16.v.bf16 }
        /// qkv [rows, 3H] (fp32) = h1 W^T for `rows`, then rotary: q, k, v bf16 head-major.
        func qkvAndRotary(block i: Int, _ rows: Range<Int>, slot: Int) {
            let r0 = rows.lowerBound
            LinearBF16.forwardOnCallingThread(
                x: a16.h1.bf16 + r0 * H, weights: weights.blocks[i].qkv, bias: nil, y: .f32(a.qkv.pointer + r0 * 3 * H),
                M: rows.count, slot: slot)
            rotary.applySplitBF16(rows: rows, a.qkv.pointer, L: L, heads: nh, qScale: qScale, q: a16.q.bf16, k: keys(i), v: values(i))
        }

        PhaseTimer.time(.adaLN) { modulate(slot: 0, width: 6 * H, prefix: "blocks.0.", into: modulationBuffers[0], ws: ws, modulations) }
        PhaseTimer.time(.blockRows) {
            let m = modulationBuffers[0], norm = p.pointer("blocks.0.norm1.weight")
            Parallel.forChunks(rowCount, grain: 16, maxChunks: slots) { slot, rows in
                LayerNorm.forwardModulatedBF16(
                    rows: rows, x: x, weight: norm, shift: m, scale: m + H, modStride: 6 * H, out: a16.h1.bf16,
                    mean: nil, rstd: nil, L: L, H: H)
                qkvAndRotary(block: 0, rows, slot: slot)
            }
        }
        let pruneLast = prunesLastBlock && ws.headRowCount < rowCount && ws.headRowsAreDistinct
        for i in 0..<c.blocks {
            let pre = "blocks.\(i).", w = weights.blocks[i]
            let mod = modulationBuffers[i % 2], next = modulationBuffers[(i + 1) % 2]
            let last = i + 1 == c.blocks, nextPre = "blocks.\(i + 1)."
            if last && pruneLast {
                runLastBlockOnHeadRowsBF16(ws: ws, weights: w, mod: mod, prefix: pre, keys: keys(i), values: values(i))
                return
            }
            PhaseTimer.time(.attention) {
                AttentionBF16.forwardInferenceRowBlocks(
                    q: a16.q.bf16, k: keys(i), v: values(i), out: a16.attn.bf16, scratch: attentionScratch,
                    B: B, L: L, heads: nh, headDim: d)
            }
            if !last { PhaseTimer.time(.adaLN) { modulate(slot: i + 1, width: 6 * H, prefix: nextPre, into: next, ws: ws, modulations) } }
            let norm2 = p.pointer(pre + "norm2.weight"), mlpInBias = p.pointer(pre + "mlp.0.bias")
            let mlpOutBias = p.pointer(pre + "mlp.2.bias"), nextNorm1 = last ? nil : p.pointer(nextPre + "norm1.weight")
            PhaseTimer.time(.blockRows) {
                Parallel.forChunks(rowCount, grain: 16, maxChunks: slots) { slot, rows in
                    let r0 = rows.lowerBound, n = rows.count
                    LinearBF16.forwardOnCallingThread(
                        x: a16.attn.bf16 + r0 * H, weights: w.attnOut, bias: nil, y: .f32(a.attnProj.pointer + r0 * H), M: n,
                        slot: slot)
                    GatedResidual.forwardThenLayerNormBF16(
                        rows: rows, x: x, branch: a.attnProj.pointer, gate: mod + 2 * H, gateStride: 6 * H, weight: norm2,
                        shift: mod + 3 * H, scale: mod + 4 * H, modStride: 6 * H, out: a16.h2.bf16, L: L, H: H)
                    mlpRowsBF16(a16, a, w, inBias: mlpInBias, outBias: mlpOutBias, first: r0, count: n, slot: slot, H: H)
                    guard let nextNorm1 else {
                        GatedResidual.forward(rows: rows, x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H, modStride: 6 * H, L: L, H: H)
                        return
                    }
                    GatedResidual.forwardThenLayerNormBF16(
                        rows: rows, x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H, gateStride: 6 * H, weight: nextNorm1,
                        shift: next, scale: next + H, modStride: 6 * H, out: a16.h1.bf16, L: L, H: H)
                    qkvAndRotary(block: i + 1, rows, slot: slot)
                }
            }
        }
    }

    /// mlp.0 (+ bias + GELU, bf16 out) then mlp.2 (+ bias, fp32 out) for `count` rows from `first`
    /// (compact rows of `a16.h2`), on the calling thread's one-thread products.
    func mlpRowsBF16(
        _ a16: BlockBF16Activations, _ a: BlockActivations, _ w: NetworkBF16Weights.Block, inBias: UnsafePointer<Float>,
        outBias: UnsafePointer<Float>, first r0: Int, count: Int, slot: Int, H: Int
    ) {
        LinearBF16.forwardOnCallingThread(
            x: a16.h2.bf16 + r0 * H, weights: w.mlpIn, bias: inBias, y: .bf16(a16.mlpAct.bf16 + r0 * 4 * H), M: count,
            gelu: true, slot: slot)
        LinearBF16.forwardOnCallingThread(
            x: a16.mlpAct.bf16 + r0 * 4 * H, weights: w.mlpOut, bias: outBias, y: .f32(a.mlpOut.pointer + r0 * H), M: count,
            slot: slot)
    }
}
