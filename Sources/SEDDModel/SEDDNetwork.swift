import Foundation
import SEDDKernels

/// The reference's SEDD transformer (spec section 1): embedding, sigma embedding, DDiT blocks with
/// rotary attention and adaLN, the final layer, `scale_by_sigma` and the zero scatter. Matrix products
/// in fp32 (the reference path) or bf16 on AMX (`precision`); everything else in fp32.
///
/// `logScore` is the reference's `SEDD.forward` in eval mode; it writes the log concrete score
/// [rows, V] into the workspace. The network holds no per-request state, so one instance serves every
/// workspace (one per batch shape).
public final class SEDDNetwork {
    public let config: SEDDConfig
    public let parameters: ParameterStore
    private var rotaryTables: [Int: RotaryTable] = [:]
    /// The arithmetic of the matrix products (see `Precision`). Starts as `Precision.processDefault`.
    public var precision: Precision
    /// bf16 copies of the product weights, built on the first bf16 forward pass.
    public private(set) var bf16Weights: NetworkBF16Weights?
    private var bf16WeightsStale = true
    /// bf16 inference runs its blocks with fused kernels (row-block attention, residual adds fused
    /// with the next LayerNorm; `runBlocksBF16Inference`). False runs the op-by-op path, which
    /// training uses too: the oracle the fused path is tested against.
    public var fusedInference = true
    /// Fused bf16 inference with fewer (distinct) head rows than positions (`ForwardWorkspace.setHeadRows`) runs
    /// the last block past its keys and values on the head rows only: their queries' attention,
    /// attn_out, the residuals and the MLP (`runLastBlockOnHeadRowsBF16`). fp32 inference prunes the
    /// last block after its attention (`runLastBlockTailOnHeadRows`). The head rows' logits are the
    /// same as with every row computed; false computes every row (the oracle of the tests). Training
    /// and the op-by-op bf16 path always compute every row.
    public var prunesLastBlock = true

    public init(config: SEDDConfig, parameters: ParameterStore, precision: Precision = .processDefault) {
        precondition(parameters.table.count == ParameterTable(config: config).count, "parameters do not match config")
        self.config = config
        self.parameters = parameters
        self.precision = precision
    }

    /// Marks the bf16 weight copies out of date after the fp32 parameters changed outside training
    /// (loading, restoring a checkpoint); the next bf16 forward pass rebuilds them. Training forward
    /// passes rebuild them anyway (an optimizer step came before each).
    public func parametersDidChange() {
        bf16WeightsStale = true
        modulationCache.removeAll()
    }
    private lazy var modulationCache = ModulationCache(config: config)

    /// The bf16 weights for a forward pass. Training (`training`) rebuilds the plain copies from the
    /// fp32 master parameters every time (an optimizer step came before) and leaves the blocked ones
    /// behind; inference rebuilds when stale and makes sure the blocked copies are current.
    func preparedBF16Weights(training: Bool) -> NetworkBF16Weights {
        precondition(OneDNN.isAvailable, "the bf16 path needs oneDNN")
        let w = bf16Weights ?? NetworkBF16Weights(config: config)
        if bf16Weights == nil || training || bf16WeightsStale {
            w.refresh(from: parameters, pack: !training)
            bf16WeightsStale = false
        }
        if !training { w.ensurePacked() }
        bf16Weights = w
        return w
    }

    /// The rotary table for sequences of length L (cached; the reference keys its cache on L too).
    public func rotary(length L: Int) -> RotaryTable {
        if let t = rotaryTables[L] { return t }
        let t = RotaryTable(length: L, headDim: config.headDim)
        rotaryTables[L] = t
        return t
    }

    /// Runs the forward pass on `ws.ids` and `ws.sigma` (set by the caller), writing `ws.logits`.
    /// `dropout` (training only) draws masks from `rng`; nil runs eval mode exactly.
    public func forward(_ ws: ForwardWorkspace, dropout: (p: Float, rng: UnsafeMutablePointer<SeededRandom>)? = nil) {
        let c = config
        let B = ws.batch, L = ws.length, H = c.hiddenSize, C = c.condDim
        let V = c.vocabularySize
        let p = parameters
        ws.dropoutApplied = dropout != nil && ws.training
        let weights16 = precision == .bf16 ? PhaseTimer.time(.weightRefresh) { preparedBF16Weights(training: ws.training) } : nil
        if weights16 != nil && ws.bf16 == nil {
            ws.bf16 = BF16Workspace(config: c, batch: B, length: L, training: ws.training)
        }

        // 1. Token embedding.
        PhaseTimer.time(.embedding) { Embedding.forward(ids: ws.ids.pointer, table: p.pointer("vocab_embed.embedding"), out: ws.xFinal.pointer, count: B * L, H: H) }

        // 2. Sigma embedding and every adaLN modulation: from the cache when every row's sigma was seen
        // before (sampling), else computed (and, when reusing, recorded for next time).
        let modulations = self.modulations(ws)
        if modulations.cached == nil {
            Embedding.sigmaFrequencies(sigma: ws.sigma.pointer, out: ws.sigmaFreq.pointer, B: B)
            Linear.forward(x: ws.sigmaFreq.pointer, weight: p.pointer("sigma_map.mlp.0.weight"), bias: p.pointer("sigma_map.mlp.0.bias"), y: ws.sigmaHidden.pointer, M: B, K: 256, N: C)
            Activation.siluForward(ws.sigmaHidden.pointer, ws.sigmaAct.pointer, B * C)
            Linear.forward(x: ws.sigmaAct.pointer, weight: p.pointer("sigma_map.mlp.2.weight"), bias: p.pointer("sigma_map.mlp.2.bias"), y: ws.sigmaOut.pointer, M: B, K: C, N: C)
            Activation.siluForward(ws.sigmaOut.pointer, ws.cond.pointer, B * C)
        }

        // 3. Blocks. The residual stream lives in ws.xFinal; each block snapshots its input in xIn.
        let rot = rotary(length: L)
        ws.lastBlockRowCount = B * L
        if let weights16, !ws.training, fusedInference {
            if let cache = ws.existingContextCache, cache.pass != .off {
                // A reuse pass needs a recording to reuse; without one it records.
                if cache.pass == .reuse && cache.hasRecording {
                    precondition(cache.covers(ws.headRows.pointer, count: ws.headRowCount), "a reuse pass's head rows must be active rows")
                    runBlocksBF16Reusing(cache, ws: ws, weights: weights16, rotary: rot, modulations: modulations)
                    cache.reusePasses += 1
                } else {
                    runBlocksBF16Inference(ws: ws, weights: weights16, rotary: rot, modulations: modulations, record: cache)
                    cache.fullPasses += 1
                }
            } else {
                runBlocksBF16Inference(ws: ws, weights: weights16, rotary: rot, modulations: modulations)
            }
        } else {
            runBlocks(ws: ws, weights16: weights16, rotary: rot, dropout: dropout, modulations: modulations)
        }

        // 4. Final layer on the head rows only.
        let fm = ws.finalMod.pointer
        PhaseTimer.time(.adaLN) { modulate(slot: c.blocks, width: 2 * H, prefix: "output_layer.", into: fm, ws: ws, modulations) }
        if ws.training {
            if ws.headOnMaskedPositionsOnly, let mask = c.maskID { ws.selectHeadRows(withToken: mask) } else { ws.setHeadRows(nil) }
        }
        let rows = ws.headRowCount
        let lnfWeight = p.pointer("output_layer.norm_final.weight")
        // Training keeps the statistics for the backward pass (at each row's own position).
        let mean = ws.training ? ws.lnfMean.pointer : nil, rstd = ws.training ? ws.lnfRstd.pointer : nil
        let headNormMark = PhaseTimer.start()
        if let weights16 {
            let input = ws.bf16!.headInput.bf16
            if rows == B * L {
                LayerNorm.forwardModulatedBF16(x: ws.xFinal.pointer, weight: lnfWeight, shift: fm, scale: fm + H, modStride: 2 * H, out: input, mean: mean, rstd: rstd, B: B, L: L, H: H)
            } else {
                LayerNorm.forwardModulatedRowsBF16(x: ws.xFinal.pointer, rows: ws.headRows.pointer, rowCount: rows, L: L, weight: lnfWeight, shift: fm, scale: fm + H, modStride: 2 * H, out: input, mean: mean, rstd: rstd, H: H)
            }
            PhaseTimer.stop(.headNorm, headNormMark)
            PhaseTimer.time(.head) { LinearBF16.forward(x: input, weights: weights16.head, bias: p.pointer("output_layer.linear.bias"), y: .f32(ws.logits.pointer), M: roundedHeadRows(rows, capacity: B * L), packed: !ws.training) }
        } else {
            if rows == B * L {
                LayerNorm.forwardModulated(x: ws.xFinal.pointer, weight: lnfWeight, shift: fm, scale: fm + H, modStride: 2 * H, out: ws.hFinal.pointer, mean: ws.lnfMean.pointer, rstd: ws.lnfRstd.pointer, B: B, L: L, H: H)
            } else {
                LayerNorm.forwardModulatedRows(x: ws.xFinal.pointer, rows: ws.headRows.pointer, rowCount: rows, L: L, weight: lnfWeight, shift: fm, scale: fm + H, modStride: 2 * H, out: ws.hFinal.pointer, H: H, mean: mean, rstd: rstd)
            }
            PhaseTimer.stop(.headNorm, headNormMark)
            PhaseTimer.time(.head) { Linear.forward(x: ws.hFinal.pointer, weight: p.pointer("output_layer.linear.weight"), bias: p.pointer("output_layer.linear.bias"), y: ws.logits.pointer, M: rows, K: H, N: V) }
        }

        // 5-6. scale_by_sigma, then the scatter that zeroes each position's own token.
        let logits = ws.logits.pointer, ids = ws.ids.pointer, headRows = ws.headRows.pointer, sigma = ws.sigma.pointer
        let shiftConst = Float(Foundation.log(Double(V - 1)))
        let scale = c.scaleBySigma
        let scatterMark = PhaseTimer.start()
        defer { PhaseTimer.stop(.scaleAndScatter, scatterMark) }
        Parallel.forRange(rows, grain: 8) { range in
            for row in range {
                let r = Int(headRows[row])
                let out = logits + row * V
                if scale {
                    let a = logEsigm1(sigma[r / L])
                    for j in 0..<V { out[j] = (out[j] - a) - shiftConst }
                }
                out[Int(ids[r])] = 0
            }
        }
    }

    /// The blocks one by one (fp32, bf16 training, or the unfused bf16 inference path).
    private func runBlocks(
        ws: ForwardWorkspace, weights16: NetworkBF16Weights?, rotary rot: RotaryTable,
        dropout: (p: Float, rng: UnsafeMutablePointer<SeededRandom>)?, modulations: Modulations
    ) {
        for i in 0..<config.blocks {
            let a = ws.blocks[ws.training ? i : 0]
            if let weights16 {
                runBlockBF16(i, a, ws.bf16!.blocks[ws.training ? i : 0], weights16.blocks[i], ws: ws, rotary: rot, dropout: dropout, modulations: modulations)
            } else {
                runBlock(i, a, ws: ws, rotary: rot, dropout: dropout, modulations: modulations)
            }
        }
    }

    private func runBlock(_ i: Int, _ a: BlockActivations, ws: ForwardWorkspace, rotary: RotaryTable, dropout: (p: Float, rng: UnsafeMutablePointer<SeededRandom>)?, modulations: Modulations) {
        let c = config, p = parameters
        let B = ws.batch, L = ws.length, H = c.hiddenSize, nh = c.heads, d = c.headDim
        let n = B * L * H
        let pre = "blocks.\(i)."
        let x = ws.xFinal.pointer
        let mod = a.mod.pointer

        if ws.training { a.xIn.pointer.update(from: x, count: n) }
        PhaseTimer.time(.adaLN) { modulate(slot: i, width: 6 * H, prefix: pre, into: mod, ws: ws, modulations) }

        // Attention branch.
        PhaseTimer.time(.layerNorm) { LayerNorm.forwardModulated(x: x, weight: p.pointer(pre + "norm1.weight"), shift: mod, scale: mod + H, modStride: 6 * H, out: a.h1.pointer, mean: a.ln1Mean.pointer, rstd: a.ln1Rstd.pointer, B: B, L: L, H: H) }
        PhaseTimer.time(.qkv) { Linear.forward(x: a.h1.pointer, weight: p.pointer(pre + "attn_qkv.weight"), bias: nil, y: a.qkv.pointer, M: B * L, K: H, N: 3 * H) }
        PhaseTimer.time(.rotary) { rotary.apply(a.qkv.pointer, B: B, L: L, heads: nh) }
        PhaseTimer.time(.attention) { Attention.forward(qkv: a.qkv.pointer, out: a.attn.pointer, probs: a.probs?.pointer, scratch: ws.attnScratch.pointer, scratchSlots: ws.attnScratchSlots, B: B, L: L, heads: nh, headDim: d) }
        if i + 1 == c.blocks && prunesLastBlock && !ws.training && ws.headRowCount < B * L && ws.headRowsAreDistinct {
            runLastBlockTailOnHeadRows(a, ws: ws, prefix: pre)
            return
        }
        PhaseTimer.time(.attnOut) { Linear.forward(x: a.attn.pointer, weight: p.pointer(pre + "attn_out.weight"), bias: nil, y: a.attnProj.pointer, M: B * L, K: H, N: H) }
        if let dropout, let mask = a.dropMask1 { Dropout.apply(a.attnProj.pointer, mask: mask.pointer, count: n, p: dropout.p, rng: dropout.rng) }
        PhaseTimer.time(.residual) { GatedResidual.forward(x: x, branch: a.attnProj.pointer, gate: mod + 2 * H, modStride: 6 * H, B: B, L: L, H: H) }
        if ws.training { a.xMid.pointer.update(from: x, count: n) }

        // MLP branch.
        PhaseTimer.time(.layerNorm) { LayerNorm.forwardModulated(x: x, weight: p.pointer(pre + "norm2.weight"), shift: mod + 3 * H, scale: mod + 4 * H, modStride: 6 * H, out: a.h2.pointer, mean: a.ln2Mean.pointer, rstd: a.ln2Rstd.pointer, B: B, L: L, H: H) }
        PhaseTimer.time(.mlpIn) { Linear.forward(x: a.h2.pointer, weight: p.pointer(pre + "mlp.0.weight"), bias: p.pointer(pre + "mlp.0.bias"), y: a.mlpPre.pointer, M: B * L, K: H, N: 4 * H) }
        PhaseTimer.time(.gelu) { Activation.geluForward(a.mlpPre.pointer, a.mlpAct.pointer, 4 * n) }
        PhaseTimer.time(.mlpOut) { Linear.forward(x: a.mlpAct.pointer, weight: p.pointer(pre + "mlp.2.weight"), bias: p.pointer(pre + "mlp.2.bias"), y: a.mlpOut.pointer, M: B * L, K: 4 * H, N: H) }
        if let dropout, let mask = a.dropMask2 { Dropout.apply(a.mlpOut.pointer, mask: mask.pointer, count: n, p: dropout.p, rng: dropout.rng) }
        PhaseTimer.time(.residual) { GatedResidual.forward(x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H, modStride: 6 * H, B: B, L: L, H: H) }
    }
}

extension SEDDNetwork {
    /// `runBlock` with bf16 products: LayerNorms write bf16, the products accumulate in fp32 on AMX,
    /// attention multiplies bf16 heads, the residual stream and the gates stay fp32. Training writes the
    /// fp32 tensors the backward pass reads (qkv after rotary, probabilities, the MLP pre-activation).
    fileprivate func runBlockBF16(
        _ i: Int, _ a: BlockActivations, _ a16: BlockBF16Activations, _ w: NetworkBF16Weights.Block, ws: ForwardWorkspace,
        rotary: RotaryTable, dropout: (p: Float, rng: UnsafeMutablePointer<SeededRandom>)?, modulations: Modulations
    ) {
        let c = config, p = parameters
        let B = ws.batch, L = ws.length, H = c.hiddenSize, nh = c.heads, d = c.headDim
        let n = B * L * H, rows = B * L
        let pre = "blocks.\(i)."
        let x = ws.xFinal.pointer
        let mod = a.mod.pointer
        let shared = ws.bf16!

        if ws.training { a.xIn.pointer.update(from: x, count: n) }
        PhaseTimer.time(.adaLN) { modulate(slot: i, width: 6 * H, prefix: pre, into: mod, ws: ws, modulations) }

        // Attention branch.
        PhaseTimer.time(.layerNorm) { LayerNorm.forwardModulatedBF16(x: x, weight: p.pointer(pre + "norm1.weight"), shift: mod, scale: mod + H, modStride: 6 * H, out: a16.h1.bf16, mean: a.ln1Mean.pointer, rstd: a.ln1Rstd.pointer, B: B, L: L, H: H) }
        PhaseTimer.time(.qkv) { LinearBF16.forward(x: a16.h1.bf16, weights: w.qkv, bias: nil, y: .f32(a.qkv.pointer), M: rows, packed: !ws.training) }
        PhaseTimer.time(.rotary) { rotary.applySplitBF16(a.qkv.pointer, B: B, L: L, heads: nh, qScale: 1 / Float(d).squareRoot(), q: a16.q.bf16, k: a16.k.bf16, v: a16.v.bf16) }
        PhaseTimer.time(.attention) {
            if let probs = a.probs {
                AttentionBF16.forward(
                    q: a16.q.bf16, k: a16.k.bf16, v: a16.v.bf16, out: a16.attn.bf16, probs: probs.pointer,
                    scores: shared.scores.pointer, p: shared.probs.bf16, B: B, L: L, heads: nh, headDim: d)
            } else {
                AttentionBF16.forwardInference(
                    q: a16.q.bf16, k: a16.k.bf16, v: a16.v.bf16, out: a16.attn.bf16, scores: shared.scores.pointer,
                    p: shared.probs.bf16, rowScales: shared.attentionRowScales.pointer,
                    values: shared.attentionValues.pointer, B: B, L: L, heads: nh, headDim: d)
            }
        }
        PhaseTimer.time(.attnOut) { LinearBF16.forward(x: a16.attn.bf16, weights: w.attnOut, bias: nil, y: .f32(a.attnProj.pointer), M: rows, packed: !ws.training) }
        if let dropout, let mask = a.dropMask1 { Dropout.apply(a.attnProj.pointer, mask: mask.pointer, count: n, p: dropout.p, rng: dropout.rng) }
        PhaseTimer.time(.residual) { GatedResidual.forward(x: x, branch: a.attnProj.pointer, gate: mod + 2 * H, modStride: 6 * H, B: B, L: L, H: H) }
        if ws.training { a.xMid.pointer.update(from: x, count: n) }

        // MLP branch. Inference fuses bias and GELU into the product and writes bf16 directly.
        PhaseTimer.time(.layerNorm) { LayerNorm.forwardModulatedBF16(x: x, weight: p.pointer(pre + "norm2.weight"), shift: mod + 3 * H, scale: mod + 4 * H, modStride: 6 * H, out: a16.h2.bf16, mean: a.ln2Mean.pointer, rstd: a.ln2Rstd.pointer, B: B, L: L, H: H) }
        if ws.training {
            PhaseTimer.time(.mlpIn) { LinearBF16.forward(x: a16.h2.bf16, weights: w.mlpIn, bias: p.pointer(pre + "mlp.0.bias"), y: .f32(a.mlpPre.pointer), M: rows, packed: !ws.training) }
            PhaseTimer.time(.gelu) { Activation.geluForwardBF16(a.mlpPre.pointer, a16.mlpAct.bf16, 4 * n) }
        } else {
            PhaseTimer.time(.mlpIn) { LinearBF16.forward(x: a16.h2.bf16, weights: w.mlpIn, bias: p.pointer(pre + "mlp.0.bias"), y: .bf16(a16.mlpAct.bf16), M: rows, gelu: true, packed: !ws.training) }
        }
        PhaseTimer.time(.mlpOut) { LinearBF16.forward(x: a16.mlpAct.bf16, weights: w.mlpOut, bias: p.pointer(pre + "mlp.2.bias"), y: .f32(a.mlpOut.pointer), M: rows, packed: !ws.training) }
        if let dropout, let mask = a.dropMask2 { Dropout.apply(a.mlpOut.pointer, mask: mask.pointer, count: n, p: dropout.p, rng: dropout.rng) }
        PhaseTimer.time(.residual) { GatedResidual.forward(x: x, branch: a.mlpOut.pointer, gate: mod + 5 * H, modStride: 6 * H, B: B, L: L, H: H) }
    }
}

/// Where a forward pass's adaLN modulations come from: per batch row, a cache entry to read (`cached`)
/// or one to fill (`recording`), or neither (computed only).
struct Modulations {
    var cached: [FloatBuffer]?
    var recording: [FloatBuffer]?
}

extension SEDDNetwork {
    /// The modulation plan of a pass: reuse only when the workspace allows it and every row hits.
    func modulations(_ ws: ForwardWorkspace) -> Modulations {
        guard ws.reusesModulation && !ws.training else { return Modulations() }
        let sigmas = (0..<ws.batch).map { ws.sigma[$0] }
        let hits = sigmas.compactMap { modulationCache.lookup($0) }
        if hits.count == sigmas.count { return Modulations(cached: hits) }
        return Modulations(recording: sigmas.map { modulationCache.insert($0) })
    }

    /// The adaLN modulation of block `slot` (or the final layer at slot == blocks), [B, width], into `out`.
    func modulate(slot: Int, width: Int, prefix: String, into out: UnsafeMutablePointer<Float>, ws: ForwardWorkspace, _ m: Modulations) {
        let H = config.hiddenSize, B = ws.batch
        let offset = slot * 6 * H
        if let cached = m.cached {
            for b in 0..<B { (out + b * width).update(from: cached[b].pointer + offset, count: width) }
            return
        }
        let p = parameters
        Linear.forward(x: ws.cond.pointer, weight: p.pointer(prefix + "adaLN_modulation.weight"), bias: p.pointer(prefix + "adaLN_modulation.bias"), y: out, M: B, K: config.condDim, N: width)
        if let recording = m.recording {
            for b in 0..<B { (recording[b].pointer + offset).update(from: out + b * width, count: width) }
        }
    }
}

/// log(esigm1(sigma)) as the reference computes it: expm1 below 0.5, exp - 1 above, in fp32.
@inline(__always)
public func logEsigm1(_ sigma: Float) -> Float {
    let e = sigma < 0.5 ? expm1f(sigma) : expf(sigma) - 1
    return logf(e)
}
