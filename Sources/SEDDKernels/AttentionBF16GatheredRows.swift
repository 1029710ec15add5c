/// Inference attention for a listed subset of query positions (the last block of a pass whose output
/// head reads only some rows): every position is still a key and a value, but only the listed
/// positions are queries, so the scores, softmax and P v shrink from L rows to the listed ones.
///
/// Each row's arithmetic is `forwardInferenceRowBlocks`' (the same one-thread products on a row's q
/// and every k, the same `exponentiateRow`, the same 1/sum scaling); only the row count of the
/// products differs, which oneDNN's kernels do not let into a row's sums (each output element is
/// one dot product over K in K-block order). `AttentionGatheredRowsTests` checks bit equality.
extension AttentionBF16 {
    /// out [rowCount, nh*d] (bf16, row i for flat position `rows[i]` = b * L + l, head-major columns)
    /// from q, k, v [B, nh, L, d] (q already scaled by 1/sqrt(d)). Positions may come in any order
    /// and repeat; consecutive listed rows of one sequence share their products.
    ///
    /// The query products run on at most `rowBlock` rows at a time, padded up to a multiple of 16
    /// (capped at `rowBlock`) so that varying row counts reuse a few cached primitives; the padding
    /// rows read stale scratch and are never written out.
    public static func forwardInferenceGatheredRows(
        q: UnsafePointer<UInt16>, k: UnsafePointer<UInt16>, v: UnsafePointer<UInt16>,
        out: UnsafeMutablePointer<UInt16>, rows: UnsafePointer<Int32>, rowCount n: Int,
        scratch: RowBlockAttentionScratch, B: Int, L: Int, heads: Int, headDim d: Int
    ) {
        precondition(L == scratch.length && d == scratch.headDim, "attention scratch of another shape")
        if n == 0 { return }
        let H = heads * d, R = scratch.rowBlock
        let pieces = (n + R - 1) / R
        Parallel.forChunks(heads * pieces, grain: 1, maxChunks: scratch.slots) { slot, range in
            let scores = scratch.scores.pointer + slot * R * L
            let p = scratch.p.bf16 + slot * R * L
            let values = scratch.values.pointer + slot * R * d
            let rowScales = scratch.rowScales.pointer + slot * R
            let queries = scratch.queries.bf16 + slot * R * d
            for item in range {
                let h = item / pieces, piece = item % pieces
                let end = min(n, (piece + 1) * R)
                var start = piece * R
                // Runs of consecutive listed rows in one sequence: they share k and v.
                while start < end {
                    let b = Int(rows[start]) / L
                    var stop = start + 1
                    while stop < end && Int(rows[stop]) / L == b { stop += 1 }
                    let count = stop - start, base = (b * heads + h) * L * d
                    for i in 0..<count {
                        let l = Int(rows[start + i]) % L
                        (queries + i * d).update(from: q + base + l * d, count: d)
                    }
                    let (qk, pv) = rowBlockProducts(rows: paddedQueryRows(count, cap: R), L: L, headDim: d)
                    DNNLMatmulPerThread.run(qk, slot: slot, a: queries, b: k + base, c: scores)
                    for i in 0..<count { rowScales[i] = 1 / exponentiateRow(scores + i * L, L, out: p + i * L) }
                    DNNLMatmulPerThread.run(pv, slot: slot, a: p, b: v + base, c: values)
                    for i in 0..<count {
                        BFloat16.convertRow(values + i * d, scaledBy: rowScales[i], to: out + (start + i) * H + h * d, count: d)
                    }
                    start = stop
                }
            }
        }
    }

    /// `count` rounded up to a multiple of 16, at most `cap`.
    static func paddedQueryRows(_ count: Int, cap: Int) -> Int { min(cap, (count + 15) / 16 * 16) }
}
