import Foundation
import SEDDKernels

extension SEDDNetwork {
    /// The backward pass of `forward`, llm.c style: the forward's steps in reverse, one kernel backward
    /// per forward kernel, over the activations a training workspace kept.
    ///
    /// On entry `ws.logits` holds d loss / d log-score for the head rows (the loss writes it there,
    /// see `ScoreEntropyLoss`): every position, or the masked positions only when the absorbing
    /// forward pass ran the head on those alone. `ws` still holds the activations of the forward pass
    /// that produced it, including its dropout masks. Parameter gradients are **added** into
    /// `gradients` (same table as `parameters`), so the caller zeroes them once per optimizer step.
    /// `ws.logits` is clobbered. The products run in the network's `precision`, the rest in fp32.
    public func backward(_ ws: ForwardWorkspace, _ bw: BackwardWorkspace, gradients g: ParameterStore) {
        precondition(ws.training, "backward needs a training workspace (it keeps every block's activations)")
        precondition(bw.batch == ws.batch && bw.length == ws.length, "backward workspace has another shape")
        precondition(g.table.count == parameters.table.count, "gradient store does not match the parameters")
        let c = config, p = parameters
        let B = ws.batch, L = ws.length, H = c.hiddenSize, C = c.condDim, V = c.vocabularySize
        let rows = ws.headRowCount
        precondition(rows == B * L || c.maskID != nil, "backward needs the output head on every position")
        let weights16 = precision == .bf16 ? bf16Weights : nil
        precondition(precision == .fp32 || (weights16 != nil && ws.bf16 != nil), "bf16 backward without a bf16 forward pass")

        // 6-5. The scatter set each position's own token to the constant 0: no gradient flows there.
        // scale_by_sigma subtracts a constant of sigma (an input), so the gradient passes unchanged.
        let dLogits = ws.logits.pointer, ids = ws.ids.pointer, headRows = ws.headRows.pointer
        for i in 0..<rows { dLogits[i * V + Int(ids[Int(headRows[i])])] = 0 }

        // 4. Final layer: linear, then the modulated LayerNorm, then its adaLN linear.
        let headMark = PhaseTimer.start()
        let fm = ws.finalMod.pointer, dfm = bw.dFinalMod.pointer
        let lnfWeight = p.pointer("output_layer.norm_final.weight")
        bw.dFinalMod.zero()
        if rows < B * L {
            // The head ran on the masked positions only: its gradient rows are compact, in headRows order.
            let compactDx = bw.dBranch.pointer
            outputHeadLinearBackward(ws, dy: dLogits, rows: rows, dx: compactDx, gradients: g, weights16: weights16)
            LayerNorm.backwardModulatedRows(
                dOut: compactDx, rows: headRows, rowCount: rows, x: ws.xFinal.pointer, weight: lnfWeight,
                scale: fm + H, modStride: 2 * H, mean: ws.lnfMean.pointer, rstd: ws.lnfRstd.pointer,
                dx: bw.dResidual.pointer, dWeight: g.pointer("output_layer.norm_final.weight"),
                dShift: dfm, dScale: dfm + H, B: B, L: L, H: H)
        } else {
            if let mask = c.maskID, weights16 == nil {
                // Absorbing with the head on every position: only masked rows carry loss, so run the
                // head's backward GEMMs on those rows alone.
                outputHeadBackwardMaskedRows(ws, bw, gradients: g, mask: mask)
            } else {
                outputHeadLinearBackward(ws, dy: dLogits, rows: rows, dx: bw.dNormed.pointer, gradients: g, weights16: weights16)
            }
            LayerNorm.backwardModulated(
                dOut: bw.dNormed.pointer, x: ws.xFinal.pointer, weight: lnfWeight,
                scale: fm + H, modStride: 2 * H, mean: ws.lnfMean.pointer, rstd: ws.lnfRstd.pointer,
                dx: bw.dResidual.pointer, dWeight: g.pointer("output_layer.norm_final.weight"),
                dShift: dfm, dScale: dfm + H, B: B, L: L, H: H)
        }
        Linear.backward(
            dy: dfm, x: ws.cond.pointer, weight: p.pointer("output_layer.adaLN_modulation.weight"), dx: bw.dCond.pointer,
            dWeight: g.pointer("output_layer.adaLN_modulation.weight"),
            dBias: g.pointer("output_layer.adaLN_modulation.bias"), M: B, K: C, N: 2 * H)

        PhaseTimer.stop(.backwardHead, headMark)

        // 3. Blocks, last first. dResidual carries d loss / d x through the residual stream.
        let rot = rotary(length: L)
        for i in stride(from: c.blocks - 1, through: 0, by: -1) {
            backwardBlock(i, ws.blocks[i], ws: ws, bw: bw, gradients: g, rotary: rot, weights16: weights16)
        }

        // 2. Sigma embedding, reversed: extra SiLU, Linear, SiLU, Linear. The frequencies are a
        // function of sigma alone, so the chain stops at mlp.0's weights.
        Activation.siluBackward(ws.sigmaOut.pointer, bw.dCond.pointer, bw.dSigmaOut.pointer, B * C)
        Linear.backward(
            dy: bw.dSigmaOut.pointer, x: ws.sigmaAct.pointer, weight: p.pointer("sigma_map.mlp.2.weight"),
            dx: bw.dSigmaAct.pointer, dWeight: g.pointer("sigma_map.mlp.2.weight"),
            dBias: g.pointer("sigma_map.mlp.2.bias"), M: B, K: C, N: C)
        Activation.siluBackward(ws.sigmaHidden.pointer, bw.dSigmaAct.pointer, bw.dSigmaHidden.pointer, B * C)
        Linear.backward(
            dy: bw.dSigmaHidden.pointer, x: ws.sigmaFreq.pointer, weight: p.pointer("sigma_map.mlp.0.weight"),
            dx: nil, dWeight: g.pointer("sigma_map.mlp.0.weight"), dBias: g.pointer("sigma_map.mlp.0.bias"),
            M: B, K: 256, N: C)

        // 1. Token embedding.
        Embedding.backward(
            ids: ids, dOut: bw.dResidual.pointer, dTable: g.pointer("vocab_embed.embedding"), count: B * L, H: H)
    }

    /// The output linear's backward on the first `rows` head rows: dx [rows, H] (the head input's
    /// gradient, in head-row order), dW and db accumulated.
    private func outputHeadLinearBackward(
        _ ws: ForwardWorkspace, dy: UnsafePointer<Float>, rows: Int, dx: UnsafeMutablePointer<Float>,
        gradients g: ParameterStore, weights16: NetworkBF16Weights?
    ) {
        let H = config.hiddenSize, V = config.vocabularySize
        if let weights16 {
            LinearBF16.backward(
                dy: dy, dyScratch: ws.bf16!.gradientScratch!.bf16, x: ws.bf16!.headInput.bf16, weights: weights16.head,
                dx: dx, dWeight: g.pointer("output_layer.linear.weight"), dBias: g.pointer("output_layer.linear.bias"),
                M: rows, productRows: roundedHeadRows(rows, capacity: ws.batch * ws.length))
        } else {
            Linear.backward(
                dy: dy, x: ws.hFinal.pointer, weight: parameters.pointer("output_layer.linear.weight"), dx: dx,
                dWeight: g.pointer("output_layer.linear.weight"), dBias: g.pointer("output_layer.linear.bias"),
                M: rows, K: H, N: V)
        }
    }

    /// One linear layer's backward in the network's precision: fp32 reads the fp32 input `x32` and
    /// weight; bf16 reads the bf16 input `x16` and the bf16 weight copy.
    private func linearBackward(
        dy: UnsafePointer<Float>, x32: UnsafePointer<Float>, x16: UnsafePointer<UInt16>?, name: String,
        weights16: PackedBF16Weights?, dx: UnsafeMutablePointer<Float>, gradients g: ParameterStore,
        bias: Bool, ws: ForwardWorkspace, M: Int, K: Int, N: Int
    ) {
        let dBias = bias ? g.pointer(name + ".bias") : nil
        if let weights16, let x16 {
            LinearBF16.backward(
                dy: dy, dyScratch: ws.bf16!.gradientScratch!.bf16, x: x16, weights: weights16, dx: dx,
                dWeight: g.pointer(name + ".weight"), dBias: dBias, M: M)
        } else {
            Linear.backward(
                dy: dy, x: x32, weight: parameters.pointer(name + ".weight"), dx: dx, dWeight: g.pointer(name + ".weight"),
                dBias: dBias, M: M, K: K, N: N)
        }
    }

    /// One DDiT block backwards. Entering, `bw.dResidual` is d loss / d (block output); leaving, it is
    /// d loss / d (block input). The block's share of d loss / d c is added into `bw.dCond`.
    private func backwardBlock(
        _ i: Int, _ a: BlockActivations, ws: ForwardWorkspace, bw: BackwardWorkspace, gradients g: ParameterStore,
        rotary: RotaryTable, weights16: NetworkBF16Weights?
    ) {
        let c = config, p = parameters
        let B = ws.batch, L = ws.length, H = c.hiddenSize, C = c.condDim, nh = c.heads, d = c.headDim
        let n = B * L * H, M = B * L
        let pre = "blocks.\(i)."
        let mod = a.mod.pointer, dmod = bw.dMod.pointer
        let dx = bw.dResidual.pointer
        let w16 = weights16?.blocks[i]
        let a16 = weights16 == nil ? nil : ws.bf16!.blocks[i]
        bw.dMod.zero()

        // MLP branch: x = xMid + gate_mlp * dropout(mlp.2(gelu(mlp.0(modulate(LN2(xMid)))))).
        PhaseTimer.time(.backwardPointwise) {
            GatedResidual.backward(
                dx: dx, branch: a.mlpOut.pointer, gate: mod + 5 * H, modStride: 6 * H, dBranch: bw.dBranch.pointer,
                dGate: dmod + 5 * H, B: B, L: L, H: H)
        }
        if let mask = a.dropMask2, ws.dropoutApplied { Dropout.backward(bw.dBranch.pointer, mask: mask.pointer, count: n) }
        PhaseTimer.time(.backwardLinear) {
            linearBackward(
                dy: bw.dBranch.pointer, x32: a.mlpAct.pointer, x16: a16?.mlpAct.bf16, name: pre + "mlp.2", weights16: w16?.mlpOut,
                dx: bw.dMLPHidden.pointer, gradients: g, bias: true, ws: ws, M: M, K: 4 * H, N: H)
        }
        PhaseTimer.time(.backwardPointwise) { geluBackwardFast(a.mlpPre.pointer, bw.dMLPHidden.pointer, 4 * n) }
        PhaseTimer.time(.backwardLinear) {
            linearBackward(
                dy: bw.dMLPHidden.pointer, x32: a.h2.pointer, x16: a16?.h2.bf16, name: pre + "mlp.0", weights16: w16?.mlpIn,
                dx: bw.dNormed.pointer, gradients: g, bias: true, ws: ws, M: M, K: H, N: 4 * H)
        }
        PhaseTimer.time(.backwardLayerNorm) {
            LayerNorm.backwardModulated(
                dOut: bw.dNormed.pointer, x: a.xMid.pointer, weight: p.pointer(pre + "norm2.weight"), scale: mod + 4 * H,
                modStride: 6 * H, mean: a.ln2Mean.pointer, rstd: a.ln2Rstd.pointer, dx: bw.dNormInput.pointer,
                dWeight: g.pointer(pre + "norm2.weight"), dShift: dmod + 3 * H, dScale: dmod + 4 * H, B: B, L: L, H: H)
        }
        PhaseTimer.time(.backwardPointwise) { addInPlace(dx, bw.dNormInput.pointer, n) }

        // Attention branch: xMid = xIn + gate_msa * dropout(attn_out(attention(rotary(qkv(modulate(LN1(xIn))))))).
        PhaseTimer.time(.backwardPointwise) {
            GatedResidual.backward(
                dx: dx, branch: a.attnProj.pointer, gate: mod + 2 * H, modStride: 6 * H, dBranch: bw.dBranch.pointer,
                dGate: dmod + 2 * H, B: B, L: L, H: H)
        }
        if let mask = a.dropMask1, ws.dropoutApplied { Dropout.backward(bw.dBranch.pointer, mask: mask.pointer, count: n) }
        PhaseTimer.time(.backwardLinear) {
            linearBackward(
                dy: bw.dBranch.pointer, x32: a.attn.pointer, x16: a16?.attn.bf16, name: pre + "attn_out", weights16: w16?.attnOut,
                dx: bw.dAttention.pointer, gradients: g, bias: false, ws: ws, M: M, K: H, N: H)
        }
        if let a16 {
            let bf = ws.bf16!
            PhaseTimer.time(.backwardAttention) {
                AttentionBF16.backward(
                    dOut: bw.dAttention.pointer, q: a16.q.bf16, k: a16.k.bf16, v: a16.v.bf16, probs: a.probs!.pointer,
                    dqkv: bw.dQKV.pointer, dOutScratch: bf.attentionGradient!.bf16, pScratch: ws.bf16!.probs.bf16,
                    dScoresScratch: bf.attentionScoresGradient!.bf16, dPScratch: bf.scores.pointer,
                    headGradients: bf.attentionHeadGradients!.pointer, B: B, L: L, heads: nh, headDim: d)
            }
        } else {
            PhaseTimer.time(.backwardAttention) {
                Attention.backward(
                    dOut: bw.dAttention.pointer, qkv: a.qkv.pointer, probs: a.probs!.pointer, dqkv: bw.dQKV.pointer,
                    scratch: ws.attnScratch.pointer, scratchSlots: ws.attnScratchSlots, B: B, L: L, heads: nh, headDim: d)
            }
        }
        PhaseTimer.time(.backwardPointwise) { rotary.applyBackward(bw.dQKV.pointer, B: B, L: L, heads: nh) }
        PhaseTimer.time(.backwardLinear) {
            linearBackward(
                dy: bw.dQKV.pointer, x32: a.h1.pointer, x16: a16?.h1.bf16, name: pre + "attn_qkv", weights16: w16?.qkv,
                dx: bw.dNormed.pointer, gradients: g, bias: false, ws: ws, M: M, K: H, N: 3 * H)
        }
        PhaseTimer.time(.backwardLayerNorm) {
            LayerNorm.backwardModulated(
                dOut: bw.dNormed.pointer, x: a.xIn.pointer, weight: p.pointer(pre + "norm1.weight"), scale: mod + H,
                modStride: 6 * H, mean: a.ln1Mean.pointer, rstd: a.ln1Rstd.pointer, dx: bw.dNormInput.pointer,
                dWeight: g.pointer(pre + "norm1.weight"), dShift: dmod, dScale: dmod + H, B: B, L: L, H: H)
        }
        PhaseTimer.time(.backwardPointwise) { addInPlace(dx, bw.dNormInput.pointer, n) }

        // adaLN: mod = adaLN_modulation(c); its input gradient joins dCond.
        PhaseTimer.time(.backwardLinear) {
            Linear.backward(
                dy: dmod, x: ws.cond.pointer, weight: p.pointer(pre + "adaLN_modulation.weight"), dx: bw.dCondPart.pointer,
                dWeight: g.pointer(pre + "adaLN_modulation.weight"), dBias: g.pointer(pre + "adaLN_modulation.bias"),
                M: B, K: C, N: 6 * H)
        }
        addInPlace(bw.dCond.pointer, bw.dCondPart.pointer, B * C)
    }
}

extension SEDDNetwork {
    /// The output linear's backward restricted to the rows whose token is the mask: gathers those rows
    /// of dLogits (in place, to the front) and of hFinal, runs the GEMMs on them, and scatters the
    /// input gradient back (zero elsewhere). Same result as the full backward, whose other rows are 0.
    fileprivate func outputHeadBackwardMaskedRows(_ ws: ForwardWorkspace, _ bw: BackwardWorkspace, gradients g: ParameterStore, mask: Int) {
        let B = ws.batch, L = ws.length, H = config.hiddenSize, V = config.vocabularySize
        let ids = ws.ids.pointer, dLogits = ws.logits.pointer, h = ws.hFinal.pointer
        let gathered = bw.dNormInput.pointer, compactDx = bw.dBranch.pointer
        var masked: [Int] = []
        masked.reserveCapacity(B * L)
        for r in 0..<(B * L) where Int(ids[r]) == mask { masked.append(r) }
        for (i, r) in masked.enumerated() {
            if i != r { (dLogits + i * V).update(from: dLogits + r * V, count: V) }
            (gathered + i * H).update(from: h + r * H, count: H)
        }
        bw.dNormed.zero()
        guard !masked.isEmpty else { return }
        Linear.backward(
            dy: dLogits, x: gathered, weight: parameters.pointer("output_layer.linear.weight"), dx: compactDx,
            dWeight: g.pointer("output_layer.linear.weight"), dBias: g.pointer("output_layer.linear.bias"),
            M: masked.count, K: H, N: V)
        for (i, r) in masked.enumerated() { (bw.dNormed.pointer + r * H).update(from: compactDx + i * H, count: H) }
    }
}

/// GELU (tanh) backward in place on dy, with tanh from one vectorised exp: tanh(u) = 1 - 2 / (1 + e^{2u}).
/// glibc's tanhf is several times slower than expf and this is the training step's hottest pointwise
/// op; the absolute error in tanh stays near 1e-7, which is what (1 + tanh) keeps in fp32 anyway.
private func geluBackwardFast(_ x: UnsafePointer<Float>, _ dy: UnsafeMutablePointer<Float>, _ n: Int) {
    let c: Float = 0.7978845608028654, a: Float = 0.044715
    typealias V = SIMD16<Float>
    let cv = V(repeating: c), av = V(repeating: a), one = V(repeating: 1), half = V(repeating: 0.5), three = V(repeating: 3)
    @inline(__always) func derivative(_ v: V) -> V {
        let t = FastMath.tanh(cv * (v + av * v * v * v))
        let du = cv * (one + three * av * v * v)
        return half * (one + t) + half * v * (one - t * t) * du
    }
    Parallel.forRange((n + 4095) / 4096, grain: 1) { blocks in
        let start = blocks.lowerBound * 4096, end = min(n, blocks.upperBound * 4096)
        var i = start
        while i + 16 <= end {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dy + i).storeBytes(of: g * derivative(v), as: SIMD16<Float>.self)
            i += 16
        }
        if i < end {
            let g = FastMath.loadPartial(dy + i, end - i, fill: 0) * derivative(FastMath.loadPartial(x + i, end - i, fill: 0))
            FastMath.storePartial(g, dy + i, end - i)
        }
    }
}

/// y += x over n floats.
private func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    Parallel.forRange(n, grain: 16384) { range in
        for i in range { y[i] += x[i] }
    }
}
