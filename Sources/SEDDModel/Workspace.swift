import SEDDKernels

/// Activations of one DDiT block, kept for the backward pass when training (one per block) or
/// reused by every block at inference (one in total, without attention probabilities).
public final class BlockActivations {
    public let xIn: FloatBuffer        // [B, L, H] residual stream entering the block
    public let mod: FloatBuffer        // [B, 6H]   adaLN output: shift, scale, gate (msa), shift, scale, gate (mlp)
    public let ln1Mean: FloatBuffer    // [B*L]
    public let ln1Rstd: FloatBuffer    // [B*L]
    public let h1: FloatBuffer         // [B, L, H] modulate(LN1(x))
    public let qkv: FloatBuffer        // [B, L, 3, nh, d] after rotary
    public let probs: FloatBuffer?     // [B, nh, L, L] softmax, training only
    public let attn: FloatBuffer       // [B, L, H] attention output, before attn_out
    public let attnProj: FloatBuffer   // [B, L, H] attn_out(attn) (after dropout when training)
    public let xMid: FloatBuffer       // [B, L, H] residual after the attention branch
    public let ln2Mean: FloatBuffer
    public let ln2Rstd: FloatBuffer
    public let h2: FloatBuffer         // [B, L, H] modulate(LN2(xMid))
    public let mlpPre: FloatBuffer     // [B, L, 4H] mlp.0 output, before GELU
    public let mlpAct: FloatBuffer     // [B, L, 4H] GELU output
    public let mlpOut: FloatBuffer     // [B, L, H] mlp.2 output (after dropout when training)
    public let dropMask1: FloatBuffer? // [B, L, H] dropout scale factors (0 or 1/(1-p)), training only
    public let dropMask2: FloatBuffer?

    init(B: Int, L: Int, H: Int, heads: Int, training: Bool) {
        let n = B * L * H
        xIn = FloatBuffer(count: n)
        mod = FloatBuffer(count: B * 6 * H)
        ln1Mean = FloatBuffer(count: B * L)
        ln1Rstd = FloatBuffer(count: B * L)
        h1 = FloatBuffer(count: n)
        qkv = FloatBuffer(count: 3 * n)
        probs = training ? FloatBuffer(count: B * heads * L * L) : nil
        attn = FloatBuffer(count: n)
        attnProj = FloatBuffer(count: n)
        xMid = FloatBuffer(count: n)
        ln2Mean = FloatBuffer(count: B * L)
        ln2Rstd = FloatBuffer(count: B * L)
        h2 = FloatBuffer(count: n)
        mlpPre = FloatBuffer(count: 4 * n)
        mlpAct = FloatBuffer(count: 4 * n)
        mlpOut = FloatBuffer(count: n)
        dropMask1 = training ? FloatBuffer(count: n) : nil
        dropMask2 = training ? FloatBuffer(count: n) : nil
    }
}

/// Everything one forward pass at a fixed (batch, length) writes, allocated once.
///
/// Inference reuses it for every request of that shape, so nothing is allocated on the model path.
public final class ForwardWorkspace {
    public let batch: Int
    public let length: Int
    public let training: Bool
    public let ids: IntBuffer            // [B, L]
    public let sigma: FloatBuffer        // [B]
    public let sigmaFreq: FloatBuffer    // [B, 256]
    public let sigmaHidden: FloatBuffer  // [B, C] mlp.0 output (before SiLU)
    public let sigmaAct: FloatBuffer     // [B, C] SiLU(mlp.0)
    public let sigmaOut: FloatBuffer     // [B, C] mlp.2 output (before the extra SiLU)
    public let cond: FloatBuffer         // [B, C] c = SiLU(sigma_map(sigma))
    public let blocks: [BlockActivations]
    public let xFinal: FloatBuffer       // [B, L, H] residual stream after the last block (see lastBlockRowCount)
    public let finalMod: FloatBuffer     // [B, 2H] shift, scale
    public let lnfMean: FloatBuffer
    public let lnfRstd: FloatBuffer
    public let hFinal: FloatBuffer       // [B, L, H] modulate(LN_final(x))
    public let logits: FloatBuffer       // [rows, V] log-score (after scale_by_sigma and scatter)
    public let attnScratch: FloatBuffer  // [attnScratchSlots, L, L]
    /// Attention scratch matrices: one per thread (at least 2), so heads run in parallel.
    public let attnScratchSlots: Int
    /// Rows of `logits` when only some positions get the output head (absorbing sampling).
    public let headRows: IntBuffer       // [B*L] flat position index per logits row
    public private(set) var headRowCount: Int
    /// Whether no position is listed twice in `headRows` (the pruned last block adds each listed
    /// row's residual once, so it runs only then).
    public private(set) var headRowsAreDistinct = true
    /// Rows the last block of the last forward pass computed beyond its keys and values: every
    /// position (B*L), or the head rows when the pass pruned its last block to them (inference
    /// with `SEDDNetwork.prunesLastBlock` and fewer distinct head rows than positions). After a pruned pass,
    /// `xFinal` holds the last block's output at the head rows only (other rows: its input).
    public internal(set) var lastBlockRowCount = 0
    /// Whether the last forward pass drew dropout masks (the backward pass applies them only then).
    public internal(set) var dropoutApplied = false
    /// Training with the absorbing graph: the forward pass gives the output head only the masked
    /// positions (the loss and its gradient are zero elsewhere), and `logits` holds those rows only,
    /// in `headRows` order. On by default; off runs the head on every position (tests compare both).
    public var headOnMaskedPositionsOnly = true
    /// Inference only: the network may reuse the adaLN modulations it computed for the same sigma in
    /// an earlier pass (`ModulationCache`). Set it only while the network's weights stay unchanged
    /// (a serving engine); results are the same numbers either way.
    public var reusesModulation = false
    /// Keys and values kept between a sampler's passes (`ContextCache`), made on first use.
    public internal(set) var existingContextCache: ContextCache?
    /// The bf16 path's buffers, made by the first bf16 forward pass on this workspace.
    public internal(set) var bf16: BF16Workspace?
    /// Per-position score entropies of the loss [B*L] (Double), kept here so the loss allocates nothing.
    let lossEntropy: UnsafeMutablePointer<Double>
    /// One gradient row [V] per thread for the loss's gradient.
    let lossRowScratch: FloatBuffer
    let lossRowSlots: Int

    public init(config: SEDDConfig, batch B: Int, length L: Int, training: Bool = false) {
        let H = config.hiddenSize, C = config.condDim, V = config.vocabularySize
        batch = B
        length = L
        self.training = training
        ids = IntBuffer(count: B * L)
        sigma = FloatBuffer(count: B)
        sigmaFreq = FloatBuffer(count: B * 256)
        sigmaHidden = FloatBuffer(count: B * C)
        sigmaAct = FloatBuffer(count: B * C)
        sigmaOut = FloatBuffer(count: B * C)
        cond = FloatBuffer(count: B * C)
        let count = training ? config.blocks : 1
        blocks = (0..<count).map { _ in BlockActivations(B: B, L: L, H: H, heads: config.heads, training: training) }
        xFinal = FloatBuffer(count: B * L * H)
        finalMod = FloatBuffer(count: B * 2 * H)
        lnfMean = FloatBuffer(count: B * L)
        lnfRstd = FloatBuffer(count: B * L)
        hFinal = FloatBuffer(count: B * L * H)
        logits = FloatBuffer(count: B * L * V)
        attnScratchSlots = max(2, Parallel.threadCount)
        attnScratch = FloatBuffer(count: attnScratchSlots * L * L)
        lossEntropy = .allocate(capacity: B * L)
        lossEntropy.initialize(repeating: 0, count: B * L)
        lossRowSlots = training ? max(2, Parallel.threadCount) : 0
        lossRowScratch = FloatBuffer(count: lossRowSlots * V)
        headRows = IntBuffer(count: B * L)
        headRowCount = B * L
        for r in 0..<(B * L) { headRows[r] = Int32(r) }
    }

    deinit { lossEntropy.deallocate() }

    /// Restricts the output head to the positions whose token is `token` (allocation-free).
    public func selectHeadRows(withToken token: Int) {
        let t = Int32(token), ids = self.ids.pointer
        var n = 0
        for r in 0..<(batch * length) where ids[r] == t {
            headRows[n] = Int32(r)
            n += 1
        }
        headRowCount = n
        headRowsAreDistinct = true
    }

    /// Restricts the output head to the given flat positions (b * L + l); nil means every position.
    public func setHeadRows(_ rows: [Int]?) {
        if let rows {
            precondition(rows.count <= batch * length, "more head rows than positions")
            for (i, r) in rows.enumerated() { headRows[i] = Int32(r) }
            headRowCount = rows.count
            let increasing = zip(rows, rows.dropFirst()).allSatisfy { $0 < $1 }
            headRowsAreDistinct = increasing || Set(rows).count == rows.count
        } else {
            for r in 0..<(batch * length) { headRows[r] = Int32(r) }
            headRowCount = batch * length
            headRowsAreDistinct = true
        }
    }

    /// Bytes held by this workspace (for `--max-memory`).
    /// `precision` adds the bf16 path's buffers (it defaults to the precision new networks get).
    public static func bytes(
        config: SEDDConfig, batch B: Int, length L: Int, training: Bool, precision: Precision = .processDefault
    ) -> Int {
        let H = config.hiddenSize, V = config.vocabularySize
        let perBlock = B * L * H * 4 * 16 + (training ? B * config.heads * L * L * 4 + 2 * B * L * H * 4 : 0)
        let bf16 = precision == .bf16 ? BF16Workspace.bytes(config: config, batch: B, length: L, training: training) : 0
        // bf16 inference may keep a context cache (a sampler with contextRefresh above 1).
        let cache = precision == .bf16 && !training ? ContextCache.bytes(config: config, batch: B, length: L) : 0
        return 4 * (B * L * V + max(2, Parallel.threadCount) * L * L + 3 * B * L * H) + perBlock * (training ? config.blocks : 1)
            + bf16 + cache
    }
}
