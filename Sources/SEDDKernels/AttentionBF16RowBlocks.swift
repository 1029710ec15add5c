/// Row-block fused inference attention: one parallel region for the whole attention of a block.
///
/// `forwardInference` runs four regions per sequence (q k^T over every head in oneDNN's OpenMP team,
/// the softmax in ours, P v in oneDNN's, the 1/sum scaling in ours), each ending in a wait for its
/// slowest thread, and its [nh, L, L] fp32 scores and bf16 P (9 MB at L = 512, six heads) round-trip
/// through L3. Here each thread takes whole (sequence, head, block of query rows) items and does all
/// of it for the block: S = q_rows k^T, P = exp(S - max), O = P v, out = bf16(O / sum), with the
/// products on its own one-thread oneDNN primitives (`DNNLMatmulPerThread`). A block's scores (R x L
/// fp32) and P stay in the thread's L2.
///
/// The arithmetic per row is `forwardInference`'s (same `exponentiateRow`, same scaling); only the
/// products are split into row blocks, which changes nothing but may change oneDNN's accumulation
/// order, so the two agree to fp32 rounding of the scores and one bf16 rounding step of P or the
/// output (see `InferenceAttentionTests`).
public final class RowBlockAttentionScratch {
    public let length: Int
    public let headDim: Int
    public let rowBlock: Int
    public let slots: Int
    let scores: FloatBuffer    // [slots, rowBlock, L] fp32
    let p: ByteBuffer          // [slots, rowBlock, L] bf16
    let values: FloatBuffer    // [slots, rowBlock, d] fp32
    let rowScales: FloatBuffer // [slots, rowBlock]
    let queries: ByteBuffer    // [slots, rowBlock, d] bf16: gathered query rows (`forwardInferenceGatheredRows`)

    /// Scratch for sequences of `length` tokens and heads of `headDim`, query rows in blocks of
    /// `rowBlock` (capped at the length), for up to `slots` threads.
    public init(length L: Int, headDim d: Int, rowBlock: Int = 128, slots: Int = Parallel.threadCount) {
        precondition(L >= 1 && d >= 1 && rowBlock >= 1 && slots >= 1, "empty attention scratch")
        length = L
        headDim = d
        self.rowBlock = min(rowBlock, L)
        self.slots = slots
        scores = FloatBuffer(count: slots * self.rowBlock * L)
        p = ByteBuffer(byteCount: slots * self.rowBlock * L * 2)
        values = FloatBuffer(count: slots * self.rowBlock * d)
        rowScales = FloatBuffer(count: slots * self.rowBlock)
        queries = ByteBuffer(byteCount: slots * self.rowBlock * d * 2)
    }

    /// Bytes one scratch of this shape holds (for memory estimates).
    public static func bytes(length L: Int, headDim d: Int, rowBlock: Int = 128, slots: Int = Parallel.threadCount) -> Int {
        slots * min(rowBlock, L) * (6 * L + 6 * d + 4)
    }
}

extension AttentionBF16 {
    /// `forwardInference` in row blocks, one parallel region: out [B, L, nh*d] (bf16, head-major
    /// columns) from q, k, v [B, nh, L, d] (q already scaled by 1/sqrt(d)).
    public static func forwardInferenceRowBlocks(
        q: UnsafePointer<UInt16>, k: UnsafePointer<UInt16>, v: UnsafePointer<UInt16>,
        out: UnsafeMutablePointer<UInt16>, scratch: RowBlockAttentionScratch,
        B: Int, L: Int, heads: Int, headDim d: Int
    ) {
        precondition(L == scratch.length && d == scratch.headDim, "attention scratch of another shape")
        let H = heads * d, R = scratch.rowBlock
        let blocksPerHead = (L + R - 1) / R
        let items = B * heads * blocksPerHead
        Parallel.forChunks(items, grain: 1, maxChunks: scratch.slots) { slot, range in
            let scores = scratch.scores.pointer + slot * R * L
            let p = scratch.p.bf16 + slot * R * L
            let values = scratch.values.pointer + slot * R * d
            let rowScales = scratch.rowScales.pointer + slot * R
            for item in range {
                let head = item / blocksPerHead  // b * heads + h
                let r0 = (item % blocksPerHead) * R, rows = min(R, L - r0)
                let b = head / heads, h = head % heads
                let base = head * L * d
                let (qk, pv) = rowBlockProducts(rows: rows, L: L, headDim: d)
                DNNLMatmulPerThread.run(qk, slot: slot, a: q + base + r0 * d, b: k + base, c: scores)
                for i in 0..<rows { rowScales[i] = 1 / exponentiateRow(scores + i * L, L, out: p + i * L) }
                DNNLMatmulPerThread.run(pv, slot: slot, a: p, b: v + base, c: values)
                let o = out + (b * L + r0) * H + h * d
                for i in 0..<rows {
                    BFloat16.convertRow(values + i * d, scaledBy: rowScales[i], to: o + i * H, count: d)
                }
            }
        }
    }

    /// The two products of one row block of one head: S [rows, L] = q_rows [rows, d] k^T (k read
    /// transposed through its strides), and O [rows, d] = P [rows, L] v [L, d], both into fp32.
    static func rowBlockProducts(rows: Int, L: Int, headDim d: Int) -> (qk: MatmulDescription, pv: MatmulDescription) {
        let qk = MatmulDescription(
            M: rows, N: L, K: d, a: MatmulOperand(.bf16, rowStride: d),
            b: MatmulOperand(.bf16, rowStride: 1, colStride: d), c: MatmulOperand(.f32, rowStride: L))
        let pv = MatmulDescription(
            M: rows, N: d, K: L, a: MatmulOperand(.bf16, rowStride: L), b: MatmulOperand(.bf16, rowStride: d),
            c: MatmulOperand(.f32, rowStride: d))
        return (qk, pv)
    }
}
