/// Variants of the modulated LayerNorm: bf16 output (the bf16 path feeds a product with it), a subset
/// of rows (the output head on masked positions only), and the backward of that subset.
extension LayerNorm {
    /// Mean and rstd of one row, as `forwardModulated` computes them.
    @inline(__always)
    static func statistics(_ xr: UnsafePointer<Float>, _ H: Int) -> (mean: Float, rstd: Float) {
        let m = VectorMath.sum(xr, H) / Float(H)
        let v = VectorMath.centeredSquares(xr, H, mean: m) / Float(H)
        return (m, 1 / (v + epsilon).squareRoot())
    }

    /// One modulated row written as bf16, same association as the fp32 kernel.
    @inline(__always)
    static func modulatedRowBF16(
        _ xr: UnsafePointer<Float>, _ H: Int, weight: UnsafePointer<Float>, shift sh: UnsafePointer<Float>,
        scale sc: UnsafePointer<Float>, mean m: Float, rstd s: Float, out o: UnsafeMutablePointer<UInt16>
    ) {
        let mv = SIMD16<Float>(repeating: m), sv = SIMD16<Float>(repeating: s)
        var j = 0
        while j + 16 <= H {
            func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p + j).loadUnaligned(as: SIMD16<Float>.self) }
            let n = ((load(xr) - mv) * sv) * load(weight)
            BFloat16.store(n * (1 + load(sc)) + load(sh), to: o + j)
            j += 16
        }
        while j < H {
            let n = ((xr[j] - m) * s) * weight[j]
            o[j] = BFloat16.fromFloat(n * (1 + sc[j]) + sh[j])
            j += 1
        }
    }

    /// `forwardModulated` with a bf16 output.
    public static func forwardModulatedBF16(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, scale: UnsafePointer<Float>, modStride: Int,
        out: UnsafeMutablePointer<UInt16>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
        B: Int, L: Int, H: Int
    ) {
        Parallel.forRange(B * L, grain: 16) { rows in
            forwardModulatedBF16(rows: rows, x: x, weight: weight, shift: shift, scale: scale, modStride: modStride, out: out, mean: mean, rstd: rstd, L: L, H: H)
        }
    }

    /// `forwardModulatedBF16` for the flat rows `rows` (b * L + l) only, on the calling thread: the
    /// piece one thread runs inside a larger parallel region.
    public static func forwardModulatedBF16(
        rows: Range<Int>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, scale: UnsafePointer<Float>, modStride: Int,
        out: UnsafeMutablePointer<UInt16>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
        L: Int, H: Int
    ) {
        for r in rows {
            let b = r / L
            let (m, s) = statistics(x + r * H, H)
            mean?[r] = m
            rstd?[r] = s
            modulatedRowBF16(x + r * H, H, weight: weight, shift: shift + b * modStride, scale: scale + b * modStride, mean: m, rstd: s, out: out + r * H)
        }
    }

    /// `forwardModulatedRows` with a bf16 output. `mean`/`rstd`, when given, are written at the
    /// rows' own positions (index `rows[i]`), where the backward of the subset reads them.
    public static func forwardModulatedRowsBF16(
        x: UnsafePointer<Float>, rows: UnsafePointer<Int32>, rowCount: Int, L: Int, weight: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, scale: UnsafePointer<Float>, modStride: Int,
        out: UnsafeMutablePointer<UInt16>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?, H: Int
    ) {
        Parallel.forRange(rowCount, grain: 16) { range in
            forwardModulatedRowsBF16(
                gathered: range, positions: rows, x: x, weight: weight, shift: shift, scale: scale, modStride: modStride,
                out: out, mean: mean, rstd: rstd, L: L, H: H)
        }
    }

    /// `forwardModulatedRowsBF16` for the listed rows `gathered` (indices into `positions`) only, on
    /// the calling thread: the piece one thread runs inside a larger parallel region.
    public static func forwardModulatedRowsBF16(
        gathered: Range<Int>, positions rows: UnsafePointer<Int32>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, scale: UnsafePointer<Float>, modStride: Int,
        out: UnsafeMutablePointer<UInt16>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?, L: Int, H: Int
    ) {
        for i in gathered {
            let r = Int(rows[i]), b = r / L
            let (m, s) = statistics(x + r * H, H)
            mean?[r] = m
            rstd?[r] = s
            modulatedRowBF16(x + r * H, H, weight: weight, shift: shift + b * modStride, scale: scale + b * modStride, mean: m, rstd: s, out: out + i * H)
        }
    }

    /// Backward of `forwardModulatedRows`: `dOut` is [rowCount, H] (row i belongs to position
    /// `rows[i]`); dx [B*L, H] is overwritten, zero at positions not listed. Accumulates dWeight,
    /// dShift, dScale (serially over the listed rows, in order, so results do not depend on threads).
    public static func backwardModulatedRows(
        dOut: UnsafePointer<Float>, rows: UnsafePointer<Int32>, rowCount: Int, x: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, scale: UnsafePointer<Float>, modStride: Int,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        dWeight: UnsafeMutablePointer<Float>, dShift: UnsafeMutablePointer<Float>, dScale: UnsafeMutablePointer<Float>,
        B: Int, L: Int, H: Int
    ) {
        for i in 0..<rowCount {
            let r = Int(rows[i]), b = r / L
            accumulateParameterGradients(
                dOut + i * H, x + r * H, H, weight: weight, scale: scale + b * modStride, mean: mean[r], rstd: rstd[r],
                dWeight: dWeight, dShift: dShift + b * modStride, dScale: dScale + b * modStride)
        }
        dx.update(repeating: 0, count: B * L * H)
        Parallel.forRange(rowCount, grain: 16) { range in
            for i in range {
                let r = Int(rows[i]), b = r / L
                inputGradientRow(
                    dOut + i * H, x + r * H, H, weight: weight, scale: scale + b * modStride, mean: mean[r], rstd: rstd[r],
                    dx: dx + r * H)
            }
        }
    }
}
