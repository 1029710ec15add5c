import SEDDKernels

extension SEDDNetwork {
    /// The last block of a fused bf16 inference pass when the output head reads only `ws.headRows`.
    ///
    /// Past the last block only the head rows' residual stream is read (the final LayerNorm runs on
    /// them alone), and every op after the attention's keys and values is row-local. So the block
    /// needs k and v at every position (`keys`, `values`: the previous block's stretch made them,
    /// with q, for every row) but the rest only at the head rows: the attention of their queries
    /// (`AttentionBF16.forwardInferenceGatheredRows`), attn_out, the gated residual with LN2, the MLP
    /// and the second residual, on compact [n, ...] buffers (row i for position `headRows[i]`). At
    /// L = 512 and 32 head rows this skips about 5/6 of the block.
    ///
    /// Every row's arithmetic is the full path's: the same kernels' row functions and the same
    /// one-thread oneDNN products, on fewer rows. The products run on the head-row count rounded up
    /// like the output head's (`roundedHeadRows`), so the few row counts a sampler produces reuse
    /// cached primitives; the padding rows read stale finite activations and are never added to the
    /// residual stream.
    func runLastBlockOnHeadRowsBF16(
        ws: ForwardWorkspace, weights w: NetworkBF16Weights.Block, mod: UnsafePointer<Float>, prefix pre: String,
        keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>
    ) {
        let c = config
        let B = ws.batch, L = ws.length, H = c.hiddenSize
        let n = ws.headRowCount, positions = ws.headRows.pointer
        let (a, a16, x, _, attentionScratch) = ws.fusedInferenceBuffers
        PhaseTimer.time(.lastBlockAttention) {
            AttentionBF16.forwardInferenceGatheredRows(
                q: a16.q.bf16, k: keys, v: values, out: a16.attn.bf16, rows: positions, rowCount: n,
                scratch: attentionScratch, B: B, L: L, heads: c.heads, headDim: c.headDim)
        }
        let productRows = roundedHeadRows(n, capacity: B * L)
        PhaseTimer.time(.lastBlockRows) {
            Parallel.forChunks(productRows, grain: 16, maxChunks: attentionScratch.slots) { slot, rows in
                let real = realRows(rows, count: n)
                attentionOutputAndMLPGatheredBF16(
                    a16, a, w, prefix: pre, mod: mod, rows: rows, real: real, positions: positions, x: x, slot: slot, L: L)
                GatedResidual.forward(
                    gathered: real, positions: positions, x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H,
                    modStride: 6 * H, L: L, H: H)
            }
        }
        ws.lastBlockRowCount = n
    }

    /// A block's stretch from its attention's output to its MLP's, on compact rows `rows` (row i for
    /// flat position `positions[i]`; `real` are the rows that exist, the rest padding the products
    /// run on and nothing reads): attn_out, the gated residual into x fused with LN2, mlp.0 (+ GELU)
    /// and mlp.2, leaving the MLP's output in `a.mlpOut` for the caller's second residual. On the
    /// calling thread's one-thread products.
    func attentionOutputAndMLPGatheredBF16(
        _ a16: BlockBF16Activations, _ a: BlockActivations, _ w: NetworkBF16Weights.Block, prefix pre: String,
        mod: UnsafePointer<Float>, rows: Range<Int>, real: Range<Int>, positions: UnsafePointer<Int32>,
        x: UnsafeMutablePointer<Float>, slot: Int, L: Int
    ) {
        let p = parameters, H = config.hiddenSize, r0 = rows.lowerBound
        LinearBF16.forwardOnCallingThread(
            x: a16.attn.bf16 + r0 * H, weights: w.attnOut, bias: nil, y: .f32(a.attnProj.pointer + r0 * H), M: rows.count,
            slot: slot)
        GatedResidual.forwardThenLayerNormBF16(
            gathered: real, positions: positions, x: x, branch: a.attnProj.pointer, gate: mod + 2 * H, gateStride: 6 * H,
            weight: p.pointer(pre + "norm2.weight"), shift: mod + 3 * H, scale: mod + 4 * H, modStride: 6 * H,
            out: a16.h2.bf16, L: L, H: H)
        mlpRowsBF16(
            a16, a, w, inBias: p.pointer(pre + "mlp.0.bias"), outBias: p.pointer(pre + "mlp.2.bias"), first: r0, count: rows.count,
            slot: slot, H: H)
    }
}

extension SEDDNetwork {
    /// fp32 inference's last block after its attention, on the head rows only: attn_out, the gated
    /// residual, LN2, the MLP and the second residual, on compact [n, ...] buffers (row i for position
    /// `headRows[i]`). The attention itself still runs on every query (`Attention.forward` has no
    /// listed-rows form); the products after it are three quarters of a block's.
    ///
    /// The inference workspace's `h1` is free once qkv is made and holds the gathered attention rows.
    func runLastBlockTailOnHeadRows(_ a: BlockActivations, ws: ForwardWorkspace, prefix pre: String) {
        let p = parameters, H = config.hiddenSize, L = ws.length
        let n = ws.headRowCount, positions = ws.headRows.pointer
        let x = ws.xFinal.pointer, mod = a.mod.pointer
        PhaseTimer.time(.lastBlockRows) {
            let attn = a.attn.pointer, gathered = a.h1.pointer
            Parallel.forRange(n, grain: 16) { range in
                for i in range { (gathered + i * H).update(from: attn + Int(positions[i]) * H, count: H) }
            }
            Linear.forward(x: gathered, weight: p.pointer(pre + "attn_out.weight"), bias: nil, y: a.attnProj.pointer, M: n, K: H, N: H)
            Parallel.forRange(n, grain: 16) { range in
                GatedResidual.forward(gathered: range, positions: positions, x: x, branch: a.attnProj.pointer, gate: mod + 2 * H, modStride: 6 * H, L: L, H: H)
            }
            LayerNorm.forwardModulatedRows(
                x: x, rows: positions, rowCount: n, L: L, weight: p.pointer(pre + "norm2.weight"), shift: mod + 3 * H,
                scale: mod + 4 * H, modStride: 6 * H, out: a.h2.pointer, H: H)
            Linear.forward(x: a.h2.pointer, weight: p.pointer(pre + "mlp.0.weight"), bias: p.pointer(pre + "mlp.0.bias"), y: a.mlpPre.pointer, M: n, K: H, N: 4 * H)
            Activation.geluForward(a.mlpPre.pointer, a.mlpAct.pointer, 4 * n * H)
            Linear.forward(x: a.mlpAct.pointer, weight: p.pointer(pre + "mlp.2.weight"), bias: p.pointer(pre + "mlp.2.bias"), y: a.mlpOut.pointer, M: n, K: 4 * H, N: H)
            Parallel.forRange(n, grain: 16) { range in
                GatedResidual.forward(gathered: range, positions: positions, x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H, modStride: 6 * H, L: L, H: H)
            }
        }
        ws.lastBlockRowCount = n
    }
}
