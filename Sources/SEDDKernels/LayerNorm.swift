/// The reference's bias-free LayerNorm (eps 1e-5, population variance, fp32) fused with the adaLN
/// `modulate`: `out = LN(x) * w * (1 + scale[b]) + shift[b]`.
///
/// Fusing saves a full pass over the activations (bandwidth-bound). `mean` and `rstd` ([B*L]) are
/// written for the backward pass. `shift`/`scale` point at row b=0 of the adaLN output and advance by
/// `modStride` floats per batch row, so they can be views into the [B, 6H] modulation buffer.
public enum LayerNorm {
    public static let epsilon: Float = 1e-5

    /// x, out: [B, L, H]; weight: [H]; shift, scale: [B, H] with row stride `modStride`.
    public static func forwardModulated(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, scale: UnsafePointer<Float>, modStride: Int,
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
        B: Int, L: Int, H: Int
    ) {
        Parallel.forRange(B * L, grain: 16) { rows in
            for r in rows {
                let b = r / L
                let (m, s) = statistics(x + r * H, H)
                mean?[r] = m
                rstd?[r] = s
                modulatedRow(x + r * H, H, weight: weight, shift: shift + b * modStride, scale: scale + b * modStride, mean: m, rstd: s, out: out + r * H)
            }
        }
    }

    /// Backward of `forwardModulated`. Overwrites dx; accumulates dWeight, dShift, dScale.
    public static func backwardModulated(
        dOut: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        scale: UnsafePointer<Float>, modStride: Int, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
        dShift: UnsafeMutablePointer<Float>, dScale: UnsafeMutablePointer<Float>,
        B: Int, L: Int, H: Int
    ) {
        // Parameter gradients are reductions over rows: do them serially in row order to stay
        // deterministic, and the per-row dx in parallel.
        for r in 0..<(B * L) {
            let b = r / L
            accumulateParameterGradients(
                dOut + r * H, x + r * H, H, weight: weight, scale: scale + b * modStride, mean: mean[r], rstd: rstd[r],
                dWeight: dWeight, dShift: dShift + b * modStride, dScale: dScale + b * modStride)
        }
        Parallel.forRange(B * L, grain: 16) { rows in
            for r in rows {
                let b = r / L
                inputGradientRow(
                    dOut + r * H, x + r * H, H, weight: weight, scale: scale + b * modStride, mean: mean[r], rstd: rstd[r],
                    dx: dx + r * H)
            }
        }
    }

    /// One output row: ((x - m) * s) * w, then * (1 + scale) + shift, the reference's association.
    @inline(__always)
    static func modulatedRow(
        _ xr: UnsafePointer<Float>, _ H: Int, weight: UnsafePointer<Float>, shift sh: UnsafePointer<Float>,
        scale sc: UnsafePointer<Float>, mean m: Float, rstd s: Float, out o: UnsafeMutablePointer<Float>
    ) {
        for j in 0..<H {
            let n = ((xr[j] - m) * s) * weight[j]
            o[j] = n * (1 + sc[j]) + sh[j]
        }
    }

    /// Adds one row's share of dShift, dScale (its batch row's) and dWeight.
    @inline(__always)
    static func accumulateParameterGradients(
        _ g: UnsafePointer<Float>, _ xr: UnsafePointer<Float>, _ H: Int, weight: UnsafePointer<Float>,
        scale sc: UnsafePointer<Float>, mean m: Float, rstd s: Float,
        dWeight: UnsafeMutablePointer<Float>, dShift dsh: UnsafeMutablePointer<Float>, dScale dsc: UnsafeMutablePointer<Float>
    ) {
        for j in 0..<H {
            let nhat = (xr[j] - m) * s
            dsh[j] += g[j]
            dsc[j] += g[j] * nhat * weight[j]
            dWeight[j] += g[j] * (1 + sc[j]) * nhat
        }
    }

    /// One row of dx from its output gradient `g`.
    @inline(__always)
    static func inputGradientRow(
        _ g: UnsafePointer<Float>, _ xr: UnsafePointer<Float>, _ H: Int, weight: UnsafePointer<Float>,
        scale sc: UnsafePointer<Float>, mean m: Float, rstd s: Float, dx d: UnsafeMutablePointer<Float>
    ) {
        var sumDn: Float = 0, sumDnN: Float = 0
        for j in 0..<H {
            let dn = g[j] * (1 + sc[j]) * weight[j]
            sumDn += dn
            sumDnN += dn * (xr[j] - m) * s
        }
        let meanDn = sumDn / Float(H), meanDnN = sumDnN / Float(H)
        for j in 0..<H {
            let nhat = (xr[j] - m) * s
            let dn = g[j] * (1 + sc[j]) * weight[j]
            d[j] = s * (dn - meanDn - nhat * meanDnN)
        }
    }
}

extension LayerNorm {
    /// `forwardModulated` for a subset of rows: output row i is input row `rows[i]` (a flat b*L+l
    /// index). Used by the output head when only masked positions need a score.
    public static func forwardModulatedRows(
        x: UnsafePointer<Float>, rows: UnsafePointer<Int32>, rowCount: Int, L: Int, weight: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, scale: UnsafePointer<Float>, modStride: Int,
        out: UnsafeMutablePointer<Float>, H: Int,
        mean: UnsafeMutablePointer<Float>? = nil, rstd: UnsafeMutablePointer<Float>? = nil
    ) {
        Parallel.forRange(rowCount, grain: 16) { range in
            for i in range {
                let r = Int(rows[i])
                let b = r / L
                let (m, s) = statistics(x + r * H, H)
                // Written at the row's own position, where backwardModulatedRows reads them.
                mean?[r] = m
                rstd?[r] = s
                modulatedRow(x + r * H, H, weight: weight, shift: shift + b * modStride, scale: scale + b * modStride, mean: m, rstd: s, out: out + i * H)
            }
        }
    }
}
