/// Bit-exact conversions between `Float` and the two 16-bit float formats (IEEE binary16 and bfloat16).
///
/// Written by hand rather than through `Float16` because that type is missing on macOS x86_64; the tests check
/// these against `Float16` where it exists.
public enum HalfPrecision {
    /// Widens an IEEE binary16 bit pattern to `Float`. Exact for every input, including subnormals, infinities and
    /// NaN payloads (shifted into the top of the `Float` payload).
    @inline(__always)
    public static func float(fromF16Bits half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = UInt32(half >> 10) & 0x1F
        let mantissa = UInt32(half & 0x03FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exact because both factors are exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// Rounds a `Float` to the nearest IEEE binary16, ties to even. Overflow gives infinity, underflow gives a
    /// subnormal or signed zero, and NaN stays a quiet NaN with its sign and the top of its payload.
    public static func f16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x007F_FFFF
        if exponent == 0xFF {
            if mantissa == 0 { return sign | 0x7C00 }
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Result is subnormal (or rounds up to the smallest normal): significand * 2^(exponent - 150)
            // expressed in units of 2^-24 is significand >> (126 - exponent).
            let shift = 14 - halfExponent
            if shift > 24 { return sign }
            let significand = exponent == 0 ? mantissa : (mantissa | 0x0080_0000)
            return sign | UInt16(truncatingIfNeeded: roundShiftRightToEven(significand, by: UInt32(shift)))
        }
        var half = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1) {
            half += 1  // a carry into the exponent is the correct result, up to infinity at 0x7C00
        }
        return sign | UInt16(truncatingIfNeeded: half)
    }

    /// Widens a bfloat16 bit pattern to `Float` (exact: bfloat16 is the top half of a `Float`).
    @inline(__always)
    public static func float(fromBF16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Rounds a `Float` to the nearest bfloat16, ties to even (the rounding torch uses). NaN stays a quiet NaN
    /// with its sign.
    @inline(__always)
    public static func bf16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    private static func roundShiftRightToEven(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let kept = value >> shift
        let remainder = value & ((1 << shift) - 1)
        let half: UInt32 = 1 << (shift - 1)
        if remainder > half || (remainder == half && (kept & 1) == 1) { return kept + 1 }
        return kept
    }
}
