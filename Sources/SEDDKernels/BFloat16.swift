/// Conversions between fp32 and bf16 (the upper 16 bits of an fp32, stored as raw `UInt16`).
///
/// Rounding is to nearest, ties to even, as oneDNN and PyTorch round; NaN stays NaN. Integer
/// arithmetic only, so the loops vectorise on any AVX2 target (no AVX512_BF16 needed).
public enum BFloat16 {
    /// The bf16 pattern nearest to `x`.
    @inline(__always)
    public static func fromFloat(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        // A select rather than an early return, so loops over it vectorise with a blend.
        return bits & 0x7FFF_FFFF > 0x7F80_0000 ? 0x7FC0 : rounded
    }

    /// The fp32 value of a bf16 pattern (exact).
    @inline(__always)
    public static func toFloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// The rounded fp32 bit patterns of sixteen values, bf16 in the low 16 bits of each lane.
    @inline(__always)
    static func roundedBits(_ v: SIMD16<Float>) -> SIMD16<UInt32> {
        typealias U = SIMD16<UInt32>
        let bits = unsafeBitCast(v, to: U.self)
        let sixteen = U(repeating: 16)
        var r = (bits &+ U(repeating: 0x7FFF) &+ ((bits &>> sixteen) & U(repeating: 1))) &>> sixteen
        r.replace(with: U(repeating: 0x7FC0), where: (bits & U(repeating: 0x7FFF_FFFF)) .> U(repeating: 0x7F80_0000))
        return r
    }

    /// Sixteen values at once, same rounding as `fromFloat`.
    ///
    /// The narrowing goes lane by lane: `SIMD16<UInt16>(truncatingIfNeeded:)` is a generic
    /// initialiser whose specialisation the optimiser left as an out-of-line call (operands split
    /// into four xmm registers); the lane loop inlines and LLVM turns it into two shuffles.
    @inline(__always)
    public static func round(_ v: SIMD16<Float>) -> SIMD16<UInt16> {
        let r = roundedBits(v)
        var out = SIMD16<UInt16>()
        for i in 0..<16 { out[i] = UInt16(truncatingIfNeeded: r[i]) }
        return out
    }

    /// Stores 16 floats as bf16 at `dst`.
    @inline(__always)
    public static func store(_ v: SIMD16<Float>, to dst: UnsafeMutablePointer<UInt16>) {
        let r = roundedBits(v)
        for i in 0..<16 { dst[i] = UInt16(truncatingIfNeeded: r[i]) }
    }

    /// `store` for values known not to be NaN (softmax numerators): skips the NaN test. Infinities
    /// round correctly without it.
    @inline(__always)
    public static func storeNotNaN(_ v: SIMD16<Float>, to dst: UnsafeMutablePointer<UInt16>) {
        typealias U = SIMD16<UInt32>
        let bits = unsafeBitCast(v, to: U.self)
        let sixteen = U(repeating: 16)
        let r = (bits &+ U(repeating: 0x7FFF) &+ ((bits &>> sixteen) & U(repeating: 1))) &>> sixteen
        for i in 0..<16 { dst[i] = UInt16(truncatingIfNeeded: r[i]) }
    }

    /// Loads 16 bf16 values as floats.
    @inline(__always)
    public static func load(_ src: UnsafePointer<UInt16>) -> SIMD16<Float> {
        var bits = SIMD16<UInt32>()
        for i in 0..<16 { bits[i] = UInt32(src[i]) << 16 }
        return unsafeBitCast(bits, to: SIMD16<Float>.self)
    }

    /// dst[i] = bf16(src[i]) for i < count (one row; no threads). A plain loop: LLVM vectorises it
    /// (eight lanes per ymm, the NaN test as a blend) and handles the tail itself.
    @inline(__always)
    public static func convertRow(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { dst[i] = fromFloat(src[i]) }
    }

    /// dst[i] = bf16(src[i] * scale) for i < count (one row; no threads).
    @inline(__always)
    public static func convertRow(
        _ src: UnsafePointer<Float>, scaledBy scale: Float, to dst: UnsafeMutablePointer<UInt16>, count: Int
    ) {
        for i in 0..<count { dst[i] = fromFloat(src[i] * scale) }
    }

    /// dst[i] = bf16(src[i]) over `count` values, split across the engine's threads.
    public static func convert(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<UInt16>, count: Int) {
        Parallel.forRange((count + 1023) / 1024, grain: 64) { blocks in
            let start = blocks.lowerBound * 1024, end = min(count, blocks.upperBound * 1024)
            convertRow(src + start, to: dst + start, count: end - start)
        }
    }

    /// Rows of a strided fp32 matrix to a dense bf16 one: dst[r, 0..<cols] = src[r * srcStride + ...].
    public static func convertRows(
        _ src: UnsafePointer<Float>, srcStride: Int, to dst: UnsafeMutablePointer<UInt16>, dstStride: Int,
        rows: Int, cols: Int
    ) {
        Parallel.forRange(rows, grain: max(1, 8192 / max(cols, 1))) { range in
            for r in range { convertRow(src + r * srcStride, to: dst + r * dstStride, count: cols) }
        }
    }

    /// dst[i] = float(src[i]).
    public static func expand(_ src: UnsafePointer<UInt16>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = toFloat(src[i]) }
    }
}
