import SEDDKernels

/// bf16 copies of one block's matrix-product inputs. Training keeps one set per block (the backward
/// pass multiplies with them again); inference reuses one set for every block.
public final class BlockBF16Activations {
    public let h1: ByteBuffer      // [B*L, H] modulate(LN1(x))
    public let attn: ByteBuffer    // [B*L, H] attention output
    public let h2: ByteBuffer      // [B*L, H] modulate(LN2(xMid))
    public let mlpAct: ByteBuffer  // [B*L, 4H] GELU output
    public let q: ByteBuffer       // [B, nh, L, d] rotated q * 1/sqrt(d)
    public let k: ByteBuffer       // [B, nh, L, d] rotated k
    public let v: ByteBuffer       // [B, nh, L, d]

    init(rows: Int, H: Int) {
        h1 = ByteBuffer(byteCount: rows * H * 2)
        attn = ByteBuffer(byteCount: rows * H * 2)
        h2 = ByteBuffer(byteCount: rows * H * 2)
        mlpAct = ByteBuffer(byteCount: rows * 4 * H * 2)
        q = ByteBuffer(byteCount: rows * H * 2)
        k = ByteBuffer(byteCount: rows * H * 2)
        v = ByteBuffer(byteCount: rows * H * 2)
    }
}

/// What the bf16 path adds to a `ForwardWorkspace`: bf16 activations, attention scratch, the output
/// head's bf16 input and, for training, the rounded gradients the backward products read. Created on
/// the workspace's first bf16 forward pass, then reused.
public final class BF16Workspace {
    public let blocks: [BlockBF16Activations]
    public let scores: FloatBuffer  // [nh, L, L] attention scores (inference) or dP (training backward)
    public let probs: ByteBuffer    // [nh, L, L] bf16 softmax, the P of P V
    /// [nh, L] 1/sum of each softmax row and [L, H] the unnormalised fp32 P V of one sequence: the
    /// inference attention normalises after the second product (`AttentionBF16.forwardInference`).
    public let attentionRowScales: FloatBuffer
    public let attentionValues: FloatBuffer
    public let headInput: ByteBuffer  // [B*L, H] modulate(LN_final(x)) on the head rows
    /// Inference only: the row-block attention's per-thread scratch, and [B, 6H] the next block's
    /// adaLN modulation (its LayerNorm runs fused into this block's last residual add).
    public let rowBlockAttention: RowBlockAttentionScratch?
    public let modulationAhead: FloatBuffer?
    /// [B*L, max(4H, V)] bf16: a gradient rounded for the backward products (training only).
    public let gradientScratch: ByteBuffer?
    /// [B, nh, L, d] x 3 and [nh, L, L]: the attention backward's bf16 operands (training only).
    public let attentionGradient: ByteBuffer?
    public let attentionScoresGradient: ByteBuffer?
    /// [3, nh, L, d] fp32: dq, dk, dv of one sequence, head-major (training only).
    public let attentionHeadGradients: FloatBuffer?

    init(config c: SEDDConfig, batch B: Int, length L: Int, training: Bool) {
        let H = c.hiddenSize, rows = B * L
        blocks = (0..<(training ? c.blocks : 1)).map { _ in BlockBF16Activations(rows: rows, H: H) }
        scores = FloatBuffer(count: c.heads * L * L)
        probs = ByteBuffer(byteCount: c.heads * L * L * 2)
        attentionRowScales = FloatBuffer(count: c.heads * L)
        attentionValues = FloatBuffer(count: L * H)
        headInput = ByteBuffer(byteCount: rows * H * 2)
        rowBlockAttention = training ? nil : RowBlockAttentionScratch(length: L, headDim: c.headDim, rowBlock: attentionRowBlock)
        modulationAhead = training ? nil : FloatBuffer(count: B * 6 * H)
        gradientScratch = training ? ByteBuffer(byteCount: rows * max(4 * H, c.vocabularySize) * 2) : nil
        attentionGradient = training ? ByteBuffer(byteCount: rows * H * 2) : nil
        attentionScoresGradient = training ? ByteBuffer(byteCount: c.heads * L * L * 2) : nil
        attentionHeadGradients = training ? FloatBuffer(count: 3 * L * H) : nil
    }

    /// Bytes this adds to a workspace of the shape (for memory estimates).
    public static func bytes(config c: SEDDConfig, batch B: Int, length L: Int, training: Bool) -> Int {
        let H = c.hiddenSize, rows = B * L
        let perBlock = rows * H * 2 * 10
        let common = c.heads * L * L * 6 + rows * H * 2 + (c.heads * L + L * H) * 4
        let rowBlocks = training ? 0 : RowBlockAttentionScratch.bytes(length: L, headDim: c.headDim, rowBlock: attentionRowBlock) + B * 6 * H * 4
        let grads = training ? rows * max(4 * H, c.vocabularySize) * 2 + rows * H * 2 + 2 * c.heads * L * L + 12 * L * H : 0
        return perBlock * (training ? c.blocks : 1) + common + grads + rowBlocks
    }
}

/// Query rows per item of the inference attention (`AttentionBF16.forwardInferenceRowBlocks`): a
/// block's fp32 scores and bf16 P (128 x 512 x 6 bytes = 384 KB at L = 512) stay in a core's L2.
let attentionRowBlock = 128

extension ForwardWorkspace {
    /// What a fused bf16 inference pass works in: the block activations (inference keeps one set for
    /// every block), the residual stream x, the two adaLN modulation buffers (block i's [B, 6H] is
    /// `modulations[i % 2]`, so the next block's is made while the current one's is read) and the
    /// row-block attention's scratch.
    var fusedInferenceBuffers: (
        a: BlockActivations, a16: BlockBF16Activations, x: UnsafeMutablePointer<Float>,
        modulations: [UnsafeMutablePointer<Float>], attention: RowBlockAttentionScratch
    ) {
        let shared = bf16!
        return (blocks[0], shared.blocks[0], xFinal.pointer, [blocks[0].mod.pointer, shared.modulationAhead!.pointer],
                shared.rowBlockAttention!)
    }
}

/// The rows of a chunk `rows` of a padded product that hold real rows, the first `count`: none when
/// the chunk is all padding.
func realRows(_ rows: Range<Int>, count: Int) -> Range<Int> {
    rows.lowerBound..<max(rows.lowerBound, min(rows.upperBound, count))
}

/// Rows the bf16 output head multiplies: the head-row count rounded up (to 16, or 64 above 128) and
/// capped by the buffers, so the varying number of masked positions maps onto few cached primitives.
/// The extra rows read stale finite activations and their outputs are never used.
func roundedHeadRows(_ count: Int, capacity: Int) -> Int {
    if count == 0 { return 0 }
    let step = count <= 128 ? 16 : 64
    return min(capacity, (count + step - 1) / step * step)
}
