#if canImport(Glibc)
    import Glibc
#endif

/// Rotary position embedding, half-split (GPT-NeoX / flash-attn `interleaved=False`), applied in place
/// to the q and k slots of a packed qkv buffer [B, L, 3, nh, d]; v is untouched.
///
/// For a head vector with halves x1 = x[0..<d/2], x2 = x[d/2..<d] and theta_k = pos * invFreq[k]:
/// out1 = x1 cos - x2 sin, out2 = x2 cos + x1 sin. The table is recomputed from the formula, never read
/// from a checkpoint (the reference's `rotary_emb.inv_freq` buffer is ignored on load).
public final class RotaryTable {
    public let length: Int
    public let headDim: Int
    /// cos and sin, [L, d/2] each, computed in fp32 exactly as the reference does.
    public let cos: FloatBuffer
    public let sin: FloatBuffer

    public init(length: Int, headDim: Int, base: Float = 10000) {
        precondition(headDim % 2 == 0, "rotary needs an even head dimension")
        self.length = length
        self.headDim = headDim
        let half = headDim / 2
        cos = FloatBuffer(count: length * half)
        sin = FloatBuffer(count: length * half)
        for k in 0..<half {
            // torch: 1.0 / (base ** (arange(0, d, 2).float() / d)), all in fp32.
            let invFreq = 1 / powf(base, Float(2 * k) / Float(headDim))
            for p in 0..<length {
                let angle = Float(p) * invFreq
                cos[p * half + k] = cosf(angle)
                sin[p * half + k] = sinf(angle)
            }
        }
    }

    /// Rotates q and k of qkv [B, L, 3, nh, d] in place.
    public func apply(_ qkv: UnsafeMutablePointer<Float>, B: Int, L: Int, heads: Int) {
        rotate(qkv, B: B, L: L, heads: heads, sign: 1)
    }

    /// Backward of `apply`: the inverse rotation, in place on dq and dk.
    public func applyBackward(_ dqkv: UnsafeMutablePointer<Float>, B: Int, L: Int, heads: Int) {
        rotate(dqkv, B: B, L: L, heads: heads, sign: -1)
    }

    private func rotate(_ qkv: UnsafeMutablePointer<Float>, B: Int, L: Int, heads: Int, sign: Float) {
        precondition(L <= length, "sequence longer than the rotary table")
        let d = headDim, half = d / 2, H = heads * d
        let cosP = cos.pointer, sinP = sin.pointer
        Parallel.forRange(B * L, grain: 16) { rows in
            for r in rows {
                let pos = r % L
                let c = cosP + pos * half, s = sinP + pos * half
                for slot in 0..<2 {
                    for h in 0..<heads {
                        let v = qkv + r * 3 * H + slot * H + h * d
                        for k in 0..<half {
                            let x1 = v[k], x2 = v[k + half]
                            let sk = sign * s[k]
                            v[k] = x1 * c[k] - x2 * sk
                            v[k + half] = x2 * c[k] + x1 * sk
                        }
                    }
                }
            }
        }
    }
}

extension RotaryTable {
    /// The bf16 path's rotary: rotates q and k of qkv [B, L, 3, nh, d] in place (fp32, kept for the
    /// backward pass) and writes q (times `qScale`, the attention's 1/sqrt(d), exact for d a power of
    /// four), k and v as bf16 in head-major [B, nh, L, d] layouts, the dense operands AMX products need.
    ///
    /// One pass per head vector: each 16-wide chunk of both halves is rotated, stored back and rounded
    /// to bf16 while in registers. The arithmetic is `rotate`'s, term by term (no fused multiply-add),
    /// so the fp32 result is the same bit for bit.
    public func applySplitBF16(
        _ qkv: UnsafeMutablePointer<Float>, B: Int, L: Int, heads: Int, qScale: Float,
        q: UnsafeMutablePointer<UInt16>, k: UnsafeMutablePointer<UInt16>, v: UnsafeMutablePointer<UInt16>
    ) {
        Parallel.forRange(B * L, grain: 8) { rows in
            applySplitBF16(rows: rows, qkv, L: L, heads: heads, qScale: qScale, q: q, k: k, v: v)
        }
    }

    /// `applySplitBF16` for the flat rows `rows` (b * L + position) only, on the calling thread.
    public func applySplitBF16(
        rows: Range<Int>, _ qkv: UnsafeMutablePointer<Float>, L: Int, heads: Int, qScale: Float,
        q: UnsafeMutablePointer<UInt16>, k: UnsafeMutablePointer<UInt16>, v: UnsafeMutablePointer<UInt16>
    ) {
        precondition(L <= length, "sequence longer than the rotary table")
        let H = heads * headDim
        for r in rows { splitRowBF16(qkv + r * 3 * H, flat: r, L: L, heads: heads, qScale: qScale, q: q, k: k, v: v) }
    }

    /// `applySplitBF16` on listed rows: compact qkv row i belongs to flat position `positions[i]`
    /// (b * L + l), is rotated for that position and written to q, k and v at it. A row's arithmetic
    /// is the contiguous variant's, so its results are the same bit for bit.
    public func applySplitBF16(
        gathered: Range<Int>, positions: UnsafePointer<Int32>, _ qkv: UnsafeMutablePointer<Float>, L: Int, heads: Int,
        qScale: Float, q: UnsafeMutablePointer<UInt16>, k: UnsafeMutablePointer<UInt16>, v: UnsafeMutablePointer<UInt16>
    ) {
        precondition(L <= length, "sequence longer than the rotary table")
        let H = heads * headDim
        for i in gathered {
            splitRowBF16(qkv + i * 3 * H, flat: Int(positions[i]), L: L, heads: heads, qScale: qScale, q: q, k: k, v: v)
        }
    }

    /// One qkv row [3, nh, d] of flat position r (b * L + l): q and k rotated in place, then q (times
    /// `qScale`), k and v written as bf16 at position l of sequence b's head-major layouts.
    @inline(__always)
    func splitRowBF16(
        _ row: UnsafeMutablePointer<Float>, flat r: Int, L: Int, heads: Int, qScale: Float,
        q: UnsafeMutablePointer<UInt16>, k: UnsafeMutablePointer<UInt16>, v: UnsafeMutablePointer<UInt16>
    ) {
        let d = headDim, half = d / 2, H = heads * d
        let b = r / L, pos = r % L
        let c = UnsafePointer(cos.pointer + pos * half), s = UnsafePointer(sin.pointer + pos * half)
        for h in 0..<heads {
            let dst = (b * heads + h) * L * d + pos * d
            Self.rotateHead(row + h * d, cos: c, sin: s, half: half, scale: qScale, to: q + dst)
            Self.rotateHead(row + H + h * d, cos: c, sin: s, half: half, scale: 1, to: k + dst)
            BFloat16.convertRow(row + 2 * H + h * d, to: v + dst, count: d)
        }
    }

    /// Rotates one head vector x [d] in place and writes bf16(x * scale) to `dst`.
    @inline(__always)
    static func rotateHead(
        _ x: UnsafeMutablePointer<Float>, cos c: UnsafePointer<Float>, sin s: UnsafePointer<Float>, half: Int,
        scale: Float, to dst: UnsafeMutablePointer<UInt16>
    ) {
        typealias V = SIMD16<Float>
        let scaleV = V(repeating: scale)
        var j = 0
        while j + 16 <= half {
            let x1 = UnsafeRawPointer(x + j).loadUnaligned(as: V.self)
            let x2 = UnsafeRawPointer(x + j + half).loadUnaligned(as: V.self)
            let cj = UnsafeRawPointer(c + j).loadUnaligned(as: V.self)
            let sj = UnsafeRawPointer(s + j).loadUnaligned(as: V.self)
            let o1 = x1 * cj - x2 * sj
            let o2 = x2 * cj + x1 * sj
            UnsafeMutableRawPointer(x + j).storeBytes(of: o1, as: V.self)
            UnsafeMutableRawPointer(x + j + half).storeBytes(of: o2, as: V.self)
            BFloat16.store(o1 * scaleV, to: dst + j)
            BFloat16.store(o2 * scaleV, to: dst + j + half)
            j += 16
        }
        while j < half {
            let x1 = x[j], x2 = x[j + half]
            let o1 = x1 * c[j] - x2 * s[j], o2 = x2 * c[j] + x1 * s[j]
            x[j] = o1
            x[j + half] = o2
            dst[j] = BFloat16.fromFloat(o1 * scale)
            dst[j + half] = BFloat16.fromFloat(o2 * scale)
            j += 1
        }
    }
}
