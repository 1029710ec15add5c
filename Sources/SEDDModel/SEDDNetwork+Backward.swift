import Foundation
import SEDDKernels

extension SEDDNetwork {
    /// The backward pass of `forward`, llm.c style: the forward's steps in reverse, one kernel backward
    /// per forward kernel, over the activations a training workspace kept.
    ///
    /// On entry `ws.logits` holds d loss / d log-score [B*L, V] (the loss writes it there, see
    /// `ScoreEntropyLoss`) and `ws` still holds the activations of the forward pass that produced it,
    /// including its dropout masks. Parameter gradients are **added** into `gradients` (same table as
    /// `parameters`), so the caller zeroes them once per optimizer step. `ws.logits` is clobbered.
    public func backward(_ ws: ForwardWorkspace, _ bw: BackwardWorkspace, gradients g: ParameterStore) {
        precondition(ws.training, "backward needs a training workspace (it keeps every block's activations)")
        precondition(ws.headRowCount == ws.batch * ws.length, "backward needs the output head on every position")
        precondition(bw.batch == ws.batch && bw.length == ws.length, "backward workspace has another shape")
        precondition(g.table.count == parameters.table.count, "gradient store does not match the parameters")
        let c = config, p = parameters
        let B = ws.batch, L = ws.length, H = c.hiddenSize, C = c.condDim, V = c.vocabularySize
        let rows = B * L

        // 6-5. The scatter set each position's own token to the constant 0: no gradient flows there.
        // scale_by_sigma subtracts a constant of sigma (an input), so the gradient passes unchanged.
        let dLogits = ws.logits.pointer, ids = ws.ids.pointer
        for r in 0..<rows { dLogits[r * V + Int(ids[r])] = 0 }

        // 4. Final layer: linear, then the modulated LayerNorm, then its adaLN linear.
        if let mask = c.maskID {
            // Absorbing: only masked positions carry loss, so the other rows of dLogits are zero. Run the
            // head's backward GEMMs on the masked rows alone (about half the rows on average).
            outputHeadBackwardMaskedRows(ws, bw, gradients: g, mask: mask)
        } else {
            Linear.backward(
                dy: dLogits, x: ws.hFinal.pointer, weight: p.pointer("output_layer.linear.weight"), dx: bw.dNormed.pointer,
                dWeight: g.pointer("output_layer.linear.weight"), dBias: g.pointer("output_layer.linear.bias"),
                M: rows, K: H, N: V)
        }
        let fm = ws.finalMod.pointer, dfm = bw.dFinalMod.pointer
        bw.dFinalMod.zero()
        LayerNorm.backwardModulated(
            dOut: bw.dNormed.pointer, x: ws.xFinal.pointer, weight: p.pointer("output_layer.norm_final.weight"),
            scale: fm + H, modStride: 2 * H, mean: ws.lnfMean.pointer, rstd: ws.lnfRstd.pointer,
            dx: bw.dResidual.pointer, dWeight: g.pointer("output_layer.norm_final.weight"),
            dShift: dfm, dScale: dfm + H, B: B, L: L, H: H)
        Linear.backward(
            dy: dfm, x: ws.cond.pointer, weight: p.pointer("output_layer.adaLN_modulation.weight"), dx: bw.dCond.pointer,
            dWeight: g.pointer("output_layer.adaLN_modulation.weight"),
            dBias: g.pointer("output_layer.adaLN_modulation.bias"), M: B, K: C, N: 2 * H)

        // 3. Blocks, last first. dResidual carries d loss / d x through the residual stream.
        let rot = rotary(length: L)
        for i in stride(from: c.blocks - 1, through: 0, by: -1) {
            backwardBlock(i, ws.blocks[i], ws: ws, bw: bw, gradients: g, rotary: rot)
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
            ids: ids, dOut: bw.dResidual.pointer, dTable: g.pointer("vocab_embed.embedding"), count: rows, H: H)
    }

    /// One DDiT block backwards. Entering, `bw.dResidual` is d loss / d (block output); leaving, it is
    /// d loss / d (block input). The block's share of d loss / d c is added into `bw.dCond`.
    private func backwardBlock(
        _ i: Int, _ a: BlockActivations, ws: ForwardWorkspace, bw: BackwardWorkspace, gradients g: ParameterStore,
        rotary: RotaryTable
    ) {
        let c = config, p = parameters
        let B = ws.batch, L = ws.length, H = c.hiddenSize, C = c.condDim, nh = c.heads, d = c.headDim
        let n = B * L * H
        let pre = "blocks.\(i)."
        let mod = a.mod.pointer, dmod = bw.dMod.pointer
        let dx = bw.dResidual.pointer
        bw.dMod.zero()

        // MLP branch: x = xMid + gate_mlp * dropout(mlp.2(gelu(mlp.0(modulate(LN2(xMid)))))).
        GatedResidual.backward(
            dx: dx, branch: a.mlpOut.pointer, gate: mod + 5 * H, modStride: 6 * H, dBranch: bw.dBranch.pointer,
            dGate: dmod + 5 * H, B: B, L: L, H: H)
        if let mask = a.dropMask2, ws.dropoutApplied { Dropout.backward(bw.dBranch.pointer, mask: mask.pointer, count: n) }
        Linear.backward(
            dy: bw.dBranch.pointer, x: a.mlpAct.pointer, weight: p.pointer(pre + "mlp.2.weight"),
            dx: bw.dMLPHidden.pointer, dWeight: g.pointer(pre + "mlp.2.weight"), dBias: g.pointer(pre + "mlp.2.bias"),
            M: B * L, K: 4 * H, N: H)
        geluBackwardFast(a.mlpPre.pointer, bw.dMLPHidden.pointer, 4 * n)
        Linear.backward(
            dy: bw.dMLPHidden.pointer, x: a.h2.pointer, weight: p.pointer(pre + "mlp.0.weight"),
            dx: bw.dNormed.pointer, dWeight: g.pointer(pre + "mlp.0.weight"), dBias: g.pointer(pre + "mlp.0.bias"),
            M: B * L, K: H, N: 4 * H)
        LayerNorm.backwardModulated(
            dOut: bw.dNormed.pointer, x: a.xMid.pointer, weight: p.pointer(pre + "norm2.weight"), scale: mod + 4 * H,
            modStride: 6 * H, mean: a.ln2Mean.pointer, rstd: a.ln2Rstd.pointer, dx: bw.dNormInput.pointer,
            dWeight: g.pointer(pre + "norm2.weight"), dShift: dmod + 3 * H, dScale: dmod + 4 * H, B: B, L: L, H: H)
        addInPlace(dx, bw.dNormInput.pointer, n)

        // Attention branch: xMid = xIn + gate_msa * dropout(attn_out(attention(rotary(qkv(modulate(LN1(xIn))))))).
        GatedResidual.backward(
            dx: dx, branch: a.attnProj.pointer, gate: mod + 2 * H, modStride: 6 * H, dBranch: bw.dBranch.pointer,
            dGate: dmod + 2 * H, B: B, L: L, H: H)
        if let mask = a.dropMask1, ws.dropoutApplied { Dropout.backward(bw.dBranch.pointer, mask: mask.pointer, count: n) }
        Linear.backward(
            dy: bw.dBranch.pointer, x: a.attn.pointer, weight: p.pointer(pre + "attn_out.weight"),
            dx: bw.dAttention.pointer, dWeight: g.pointer(pre + "attn_out.weight"), dBias: nil, M: B * L, K: H, N: H)
        Attention.backward(
            dOut: bw.dAttention.pointer, qkv: a.qkv.pointer, probs: a.probs!.pointer, dqkv: bw.dQKV.pointer,
            scratch: ws.attnScratch.pointer, B: B, L: L, heads: nh, headDim: d)
        rotary.applyBackward(bw.dQKV.pointer, B: B, L: L, heads: nh)
        Linear.backward(
            dy: bw.dQKV.pointer, x: a.h1.pointer, weight: p.pointer(pre + "attn_qkv.weight"), dx: bw.dNormed.pointer,
            dWeight: g.pointer(pre + "attn_qkv.weight"), dBias: nil, M: B * L, K: H, N: 3 * H)
        LayerNorm.backwardModulated(
            dOut: bw.dNormed.pointer, x: a.xIn.pointer, weight: p.pointer(pre + "norm1.weight"), scale: mod + H,
            modStride: 6 * H, mean: a.ln1Mean.pointer, rstd: a.ln1Rstd.pointer, dx: bw.dNormInput.pointer,
            dWeight: g.pointer(pre + "norm1.weight"), dShift: dmod, dScale: dmod + H, B: B, L: L, H: H)
        addInPlace(dx, bw.dNormInput.pointer, n)

        // adaLN: mod = adaLN_modulation(c); its input gradient joins dCond.
        Linear.backward(
            dy: dmod, x: ws.cond.pointer, weight: p.pointer(pre + "adaLN_modulation.weight"), dx: bw.dCondPart.pointer,
            dWeight: g.pointer(pre + "adaLN_modulation.weight"), dBias: g.pointer(pre + "adaLN_modulation.bias"),
            M: B, K: C, N: 6 * H)
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

/// GELU (tanh) backward in place on dy, with tanh from one expf: tanh(u) = 1 - 2 / (1 + e^{2u}).
/// glibc's tanhf is several times slower than expf and this is the training step's hottest pointwise
/// op; the absolute error in tanh stays near 1e-7, which is what (1 + tanh) keeps in fp32 anyway.
private func geluBackwardFast(_ x: UnsafePointer<Float>, _ dy: UnsafeMutablePointer<Float>, _ n: Int) {
    let c: Float = 0.7978845608028654, a: Float = 0.044715
    Parallel.forRange(n, grain: 4096) { range in
        for i in range {
            let v = x[i]
            let u = c * (v + a * v * v * v)
            let t = 1 - 2 / (1 + expf(2 * u))
            let du = c * (1 + 3 * a * v * v)
            dy[i] *= 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du
        }
    }
}

/// y += x over n floats.
private func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    Parallel.forRange(n, grain: 16384) { range in
        for i in range { y[i] += x[i] }
    }
}
