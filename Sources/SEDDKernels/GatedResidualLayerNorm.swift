/// The gated residual add fused with the modulated LayerNorm that follows it in a block (inference).
///
/// A block ends each branch with `x += gate * branch` and the next branch (or the next block) starts
/// with `LN(x) * w * (1 + scale) + shift` in bf16. Separately they are two parallel regions and two
/// passes over the [B*L, H] residual stream; here each row is updated and normalised while it is in
/// L1, in one region. The row arithmetic is the two kernels' own (`GatedResidual.forward`'s add,
/// `LayerNorm.statistics` and `modulatedRowBF16`), so the results are identical bit for bit; the
/// separate kernels stay as the oracle.
extension GatedResidual {
    /// x [B, L, H] += gate[b] * branch (gate rows `gateStride` apart), then out [B, L, H] (bf16) =
    /// modulate(LN(x)) with `weight` [H] and shift, scale [B, H] (rows `modStride` apart).
    public static func forwardThenLayerNormBF16(
        x: UnsafeMutablePointer<Float>, branch: UnsafePointer<Float>, gate: UnsafePointer<Float>, gateStride: Int,
        weight: UnsafePointer<Float>, shift: UnsafePointer<Float>, scale: UnsafePointer<Float>, modStride: Int,
        out: UnsafeMutablePointer<UInt16>, B: Int, L: Int, H: Int
    ) {
        Parallel.forRange(B * L, grain: 16) { rows in
            forwardThenLayerNormBF16(
                rows: rows, x: x, branch: branch, gate: gate, gateStride: gateStride, weight: weight, shift: shift,
                scale: scale, modStride: modStride, out: out, L: L, H: H)
        }
    }

    /// `forwardThenLayerNormBF16` for the flat rows `rows` only, on the calling thread.
    public static func forwardThenLayerNormBF16(
        rows: Range<Int>, x: UnsafeMutablePointer<Float>, branch: UnsafePointer<Float>, gate: UnsafePointer<Float>,
        gateStride: Int, weight: UnsafePointer<Float>, shift: UnsafePointer<Float>, scale: UnsafePointer<Float>,
        modStride: Int, out: UnsafeMutablePointer<UInt16>, L: Int, H: Int
    ) {
        for r in rows {
            residualThenNormRow(
                x + r * H, branch: branch + r * H, sequence: r / L, gate: gate, gateStride: gateStride, weight: weight,
                shift: shift, scale: scale, modStride: modStride, out: out + r * H, H: H)
        }
    }

    /// `forward` for the flat rows `rows` only, on the calling thread.
    public static func forward(
        rows: Range<Int>, x: UnsafeMutablePointer<Float>, branch: UnsafePointer<Float>, gate: UnsafePointer<Float>,
        modStride: Int, L: Int, H: Int
    ) {
        for r in rows { addGatedRow(x + r * H, branch + r * H, gate + (r / L) * modStride, H) }
    }

    /// `forwardThenLayerNormBF16` on listed rows: for i in `gathered`, the residual row of flat
    /// position `positions[i]` (b * L + l) gets += gate[b] * branch row i, and out row i is its
    /// modulated LayerNorm. `branch` and `out` are compact ([count, H], row i for `positions[i]`); the
    /// row arithmetic is the contiguous kernel's, so a row's result is the same bit for bit.
    public static func forwardThenLayerNormBF16(
        gathered: Range<Int>, positions: UnsafePointer<Int32>, x: UnsafeMutablePointer<Float>,
        branch: UnsafePointer<Float>, gate: UnsafePointer<Float>, gateStride: Int, weight: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, scale: UnsafePointer<Float>, modStride: Int, out: UnsafeMutablePointer<UInt16>,
        L: Int, H: Int
    ) {
        for i in gathered {
            let r = Int(positions[i])
            residualThenNormRow(
                x + r * H, branch: branch + i * H, sequence: r / L, gate: gate, gateStride: gateStride, weight: weight,
                shift: shift, scale: scale, modStride: modStride, out: out + i * H, H: H)
        }
    }

    /// One row of both variants: the residual row `xr` of sequence `sequence` += gate * branch row,
    /// then its modulated LayerNorm into `out` (bf16).
    @inline(__always)
    static func residualThenNormRow(
        _ xr: UnsafeMutablePointer<Float>, branch: UnsafePointer<Float>, sequence b: Int, gate: UnsafePointer<Float>,
        gateStride: Int, weight: UnsafePointer<Float>, shift: UnsafePointer<Float>, scale: UnsafePointer<Float>,
        modStride: Int, out: UnsafeMutablePointer<UInt16>, H: Int
    ) {
        addGatedRow(xr, branch, gate + b * gateStride, H)
        let (m, s) = LayerNorm.statistics(xr, H)
        LayerNorm.modulatedRowBF16(
            xr, H, weight: weight, shift: shift + b * modStride, scale: scale + b * modStride, mean: m, rstd: s, out: out)
    }

    /// `forward` on listed rows: x row `positions[i]` += gate[b] * branch row i (compact branch).
    public static func forward(
        gathered: Range<Int>, positions: UnsafePointer<Int32>, x: UnsafeMutablePointer<Float>,
        branch: UnsafePointer<Float>, gate: UnsafePointer<Float>, modStride: Int, L: Int, H: Int
    ) {
        for i in gathered {
            let r = Int(positions[i])
            addGatedRow(x + r * H, branch + i * H, gate + (r / L) * modStride, H)
        }
    }

    /// xr[j] += g[j] * br[j]: `forward`'s row, written once for both kernels.
    @inline(__always)
    static func addGatedRow(
        _ xr: UnsafeMutablePointer<Float>, _ br: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ H: Int
    ) {
        for j in 0..<H { xr[j] += g[j] * br[j] }
    }
}
