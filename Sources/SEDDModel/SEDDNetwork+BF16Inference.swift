import SEDDKernels

extension SEDDNetwork {
    /// Every block of a bf16 inference pass with fewer parallel regions than `runBlockBF16`:
    ///
    /// - the attention runs in row blocks, one region per block instead of four
    ///   (`AttentionBF16.forwardInferenceRowBlocks`);
    /// - each gated residual add runs together with the LayerNorm that reads its result: the
    ///   attention branch's with LN2, the MLP branch's with the next block's LN1 (the last block's
    ///   stays plain: the final LayerNorm reads only the head rows).
    ///
    /// So a block runs eight regions (qkv, rotary, attention, attn_out, residual + LN2, mlp.0,
    /// mlp.2, residual + next LN1) instead of fourteen. The next block's adaLN modulation is needed
    /// before its block starts, so blocks alternate between two modulation buffers. The arithmetic
    /// is `runBlockBF16`'s except for the attention's row-block products (see its tests);
    /// `fusedInference = false` runs the unfused path, the oracle of the model-level test.
    func runBlocksBF16Inference(ws: ForwardWorkspace, weights: NetworkBF16Weights, rotary: RotaryTable, modulations: Modulations) {
        let c = config, p = parameters
        let B = ws.batch, L = ws.length, H = c.hiddenSize, nh = c.heads, d = c.headDim
        let rows = B * L
        let a = ws.blocks[0], shared = ws.bf16!, a16 = shared.blocks[0]
        let x = ws.xFinal.pointer
        // Block i's modulation [B, 6H]: shift, scale, gate (attention), shift, scale, gate (MLP).
        let modulationBuffers = [a.mod.pointer, shared.modulationAhead!.pointer]
        let attentionScratch = shared.rowBlockAttention!

        PhaseTimer.time(.adaLN) { modulate(slot: 0, width: 6 * H, prefix: "blocks.0.", into: modulationBuffers[0], ws: ws, modulations) }
        PhaseTimer.time(.layerNorm) {
            let m = modulationBuffers[0]
            LayerNorm.forwardModulatedBF16(
                x: x, weight: p.pointer("blocks.0.norm1.weight"), shift: m, scale: m + H, modStride: 6 * H,
                out: a16.h1.bf16, mean: nil, rstd: nil, B: B, L: L, H: H)
        }
        for i in 0..<c.blocks {
            let pre = "blocks.\(i).", w = weights.blocks[i]
            let mod = modulationBuffers[i % 2]
            // Attention branch (a16.h1 holds modulate(LN1(x)), written by the step before).
            PhaseTimer.time(.qkv) { LinearBF16.forward(x: a16.h1.bf16, weights: w.qkv, bias: nil, y: .f32(a.qkv.pointer), M: rows) }
            PhaseTimer.time(.rotary) { rotary.applySplitBF16(a.qkv.pointer, B: B, L: L, heads: nh, qScale: 1 / Float(d).squareRoot(), q: a16.q.bf16, k: a16.k.bf16, v: a16.v.bf16) }
            PhaseTimer.time(.attention) {
                AttentionBF16.forwardInferenceRowBlocks(
                    q: a16.q.bf16, k: a16.k.bf16, v: a16.v.bf16, out: a16.attn.bf16, scratch: attentionScratch,
                    B: B, L: L, heads: nh, headDim: d)
            }
            PhaseTimer.time(.attnOut) { LinearBF16.forward(x: a16.attn.bf16, weights: w.attnOut, bias: nil, y: .f32(a.attnProj.pointer), M: rows) }
            PhaseTimer.time(.residual) {
                GatedResidual.forwardThenLayerNormBF16(
                    x: x, branch: a.attnProj.pointer, gate: mod + 2 * H, gateStride: 6 * H,
                    weight: p.pointer(pre + "norm2.weight"), shift: mod + 3 * H, scale: mod + 4 * H, modStride: 6 * H,
                    out: a16.h2.bf16, B: B, L: L, H: H)
            }

            // MLP branch: bias and GELU inside the first product, which writes bf16.
            PhaseTimer.time(.mlpIn) { LinearBF16.forward(x: a16.h2.bf16, weights: w.mlpIn, bias: p.pointer(pre + "mlp.0.bias"), y: .bf16(a16.mlpAct.bf16), M: rows, gelu: true) }
            PhaseTimer.time(.mlpOut) { LinearBF16.forward(x: a16.mlpAct.bf16, weights: w.mlpOut, bias: p.pointer(pre + "mlp.2.bias"), y: .f32(a.mlpOut.pointer), M: rows) }
            if i + 1 == c.blocks {
                PhaseTimer.time(.residual) { GatedResidual.forward(x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H, modStride: 6 * H, B: B, L: L, H: H) }
                break
            }
            let next = modulationBuffers[(i + 1) % 2], nextPre = "blocks.\(i + 1)."
            PhaseTimer.time(.adaLN) { modulate(slot: i + 1, width: 6 * H, prefix: nextPre, into: next, ws: ws, modulations) }
            PhaseTimer.time(.residual) {
                GatedResidual.forwardThenLayerNormBF16(
                    x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H, gateStride: 6 * H,
                    weight: p.pointer(nextPre + "norm1.weight"), shift: next, scale: next + H, modStride: 6 * H,
                    out: a16.h1.bf16, B: B, L: L, H: H)
            }
        }
    }
}
