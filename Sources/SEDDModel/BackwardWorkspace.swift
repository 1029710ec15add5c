import SEDDKernels

/// Gradient buffers of one backward pass at a fixed (batch, length), allocated once per shape.
///
/// The gradient with respect to the log-score ([rows, V], by far the largest tensor) is not here: the
/// loss writes it over the forward workspace's `logits`, which the backward pass no longer needs.
public final class BackwardWorkspace {
    public let batch: Int
    public let length: Int
    public let dResidual: FloatBuffer    // [B, L, H] gradient of the residual stream, walked backwards
    public let dNormed: FloatBuffer      // [B, L, H] gradient at a modulated LayerNorm output
    public let dNormInput: FloatBuffer   // [B, L, H] LayerNorm input gradient, before it joins dResidual
    public let dBranch: FloatBuffer      // [B, L, H] gradient of a branch output (attn_out or mlp.2)
    public let dAttention: FloatBuffer   // [B, L, H] gradient of the attention output (before attn_out)
    public let dQKV: FloatBuffer         // [B, L, 3, nh, d]
    public let dMLPHidden: FloatBuffer   // [B, L, 4H] gradient of the GELU output, then of its input
    public let dMod: FloatBuffer         // [B, 6H] gradient of one block's adaLN output
    public let dFinalMod: FloatBuffer    // [B, 2H]
    public let dCond: FloatBuffer        // [B, C] gradient of c = SiLU(sigma_map(sigma)), summed over users
    public let dCondPart: FloatBuffer    // [B, C] one adaLN layer's share of dCond
    public let dSigmaOut: FloatBuffer    // [B, C] gradient of the sigma MLP output (before the extra SiLU)
    public let dSigmaAct: FloatBuffer    // [B, C]
    public let dSigmaHidden: FloatBuffer // [B, C]

    public init(config: SEDDConfig, batch B: Int, length L: Int) {
        let H = config.hiddenSize, C = config.condDim
        let n = B * L * H
        batch = B
        length = L
        dResidual = FloatBuffer(count: n)
        dNormed = FloatBuffer(count: n)
        dNormInput = FloatBuffer(count: n)
        dBranch = FloatBuffer(count: n)
        dAttention = FloatBuffer(count: n)
        dQKV = FloatBuffer(count: 3 * n)
        dMLPHidden = FloatBuffer(count: 4 * n)
        dMod = FloatBuffer(count: B * 6 * H)
        dFinalMod = FloatBuffer(count: B * 2 * H)
        dCond = FloatBuffer(count: B * C)
        dCondPart = FloatBuffer(count: B * C)
        dSigmaOut = FloatBuffer(count: B * C)
        dSigmaAct = FloatBuffer(count: B * C)
        dSigmaHidden = FloatBuffer(count: B * C)
    }

    /// Bytes held (for memory estimates).
    public static func bytes(config: SEDDConfig, batch B: Int, length L: Int) -> Int {
        let H = config.hiddenSize, C = config.condDim
        return 4 * (B * L * H * 12 + B * 8 * H + B * C * 5)
    }
}
