/// The block's gated residual: `x += gate[b] * branch` (eval-mode `bias_dropout_add_scale`), with
/// `gate` a view into the [B, 6H] adaLN output (row stride `modStride`). Dropout, when training, is
/// applied to `branch` by the caller before this.
public enum GatedResidual {
    public static func forward(
        x: UnsafeMutablePointer<Float>, branch: UnsafePointer<Float>, gate: UnsafePointer<Float>, modStride: Int,
        B: Int, L: Int, H: Int
    ) {
        Parallel.forRange(B * L, grain: 32) { rows in
            for r in rows { addGatedRow(x + r * H, branch + r * H, gate + (r / L) * modStride, H) }
        }
    }

    /// dBranch = dx * gate (overwritten); dGate[b] += sum_l dx * branch. dx passes through unchanged.
    public static func backward(
        dx: UnsafePointer<Float>, branch: UnsafePointer<Float>, gate: UnsafePointer<Float>, modStride: Int,
        dBranch: UnsafeMutablePointer<Float>, dGate: UnsafeMutablePointer<Float>, B: Int, L: Int, H: Int
    ) {
        for b in 0..<B {
            let g = gate + b * modStride
            let dg = dGate + b * modStride
            for l in 0..<L {
                let r = b * L + l
                for j in 0..<H {
                    dBranch[r * H + j] = dx[r * H + j] * g[j]
                    dg[j] += dx[r * H + j] * branch[r * H + j]
                }
            }
        }
    }
}
