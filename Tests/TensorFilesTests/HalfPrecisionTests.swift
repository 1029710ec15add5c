import XCTest

@testable import TensorFiles

/// Exactness of the 16-bit float conversions on edge values, checked against `Float16` where the platform has it.
final class HalfPrecisionTests: XCTestCase {
    func testF16WideningIsExactForEveryBitPattern() {
        for bits in 0...UInt16.max {
            let value = HalfPrecision.float(fromF16Bits: bits)
            let exponent = (bits >> 10) & 0x1F
            let mantissa = bits & 0x3FF
            if exponent == 0x1F && mantissa != 0 {
                XCTAssertTrue(value.isNaN, "f16 \(bits)")
                continue
            }
            // Every non-NaN half must survive the round trip unchanged.
            XCTAssertEqual(HalfPrecision.f16Bits(from: value), bits, "round trip of f16 0x\(String(bits, radix: 16))")
            #if (arch(x86_64) && !os(macOS)) || arch(arm64)
                XCTAssertEqual(value.bitPattern, Float(Float16(bitPattern: bits)).bitPattern, "f16 \(bits)")
            #endif
        }
    }

    func testF16NarrowingEdgeValues() {
        let cases: [(Float, UInt16)] = [
            (0, 0x0000), (-0.0, 0x8000), (1, 0x3C00), (-2, 0xC000),
            (65504, 0x7BFF),  // largest finite
            (65519.99, 0x7BFF),  // just below the rounding boundary
            (65520, 0x7C00),  // tie between 65504 and 65536 rounds to even, which is infinity
            (.infinity, 0x7C00), (-.infinity, 0xFC00), (1e10, 0x7C00),
            (0x1p-14, 0x0400),  // smallest normal
            (0x1p-24, 0x0001),  // smallest subnormal
            (0x1p-25, 0x0000),  // exact tie between 0 and 2^-24: to even (0)
            (0x1.000002p-25, 0x0001),  // just above the tie
            (0x1.8p-24, 0x0002),  // 1.5 ulp: tie, to even (2)
            (0x1.4p-23, 0x0002),  // 2.5 ulp: tie, to even (2)
            (0x1.ff8p-15, 0x03FF),  // largest subnormal
            (0x1.ffcp-15, 0x0400),  // rounds up into the smallest normal
            (1 + 0x1p-11, 0x3C00),  // tie between 1 and 1+2^-10: to even (1)
            (1 + 3 * 0x1p-11, 0x3C02),  // tie: to even (1 + 2^-9)
            (1 + 0x1.002p-11, 0x3C01),  // just above the tie (within Float precision)
            (0x1p-30, 0x0000), (-0x1p-30, 0x8000),
            (.leastNonzeroMagnitude, 0x0000),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(HalfPrecision.f16Bits(from: value), expected, "f16 of \(value)")
        }
        XCTAssertTrue(HalfPrecision.float(fromF16Bits: HalfPrecision.f16Bits(from: .nan)).isNaN)
        XCTAssertEqual(HalfPrecision.f16Bits(from: -.nan) & 0x8000, 0x8000, "NaN keeps its sign")
    }

    #if (arch(x86_64) && !os(macOS)) || arch(arm64)
        func testF16NarrowingMatchesFloat16OnManyFloats() {
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<200_000 {
                // Exponents from deep subnormal to overflow, uniformly.
                let bits =
                    UInt32(truncatingIfNeeded: generator.next()) & 0x807F_FFFF | (UInt32.random(in: 90...150) << 23)
                let value = Float(bitPattern: bits)
                XCTAssertEqual(HalfPrecision.f16Bits(from: value), Float16(value).bitPattern, "\(value)")
            }
        }
    #endif

    func testBF16WideningIsExactForEveryBitPattern() {
        for bits in 0...UInt16.max {
            let value = HalfPrecision.float(fromBF16Bits: bits)
            XCTAssertEqual(value.bitPattern, UInt32(bits) << 16)
            if !value.isNaN { XCTAssertEqual(HalfPrecision.bf16Bits(from: value), bits) }
        }
    }

    func testBF16NarrowingEdgeValues() {
        let cases: [(UInt32, UInt16)] = [
            (0x3F80_8000, 0x3F80),  // tie, even stays
            (0x3F81_8000, 0x3F82),  // tie, odd rounds up
            (0x3F80_8001, 0x3F81),  // above the tie
            (0x3F80_7FFF, 0x3F80),  // below the tie
            (0x7F7F_FFFF, 0x7F80),  // largest float rounds to infinity
            (0x7F7F_7FFF, 0x7F7F),  // stays at the largest finite bf16
            (0x7F80_0000, 0x7F80), (0xFF80_0000, 0xFF80),  // infinities
            (0x0001_0000, 0x0001),  // subnormal, exact
            (0x0000_8000, 0x0000),  // subnormal tie, to even
            (0x0001_8000, 0x0002),  // subnormal tie, odd rounds up
            (0x8000_0000, 0x8000),  // negative zero
        ]
        for (bits, expected) in cases {
            XCTAssertEqual(
                HalfPrecision.bf16Bits(from: Float(bitPattern: bits)), expected, "bf16 of 0x\(String(bits, radix: 16))")
        }
        let nan = HalfPrecision.bf16Bits(from: Float(bitPattern: 0x7F80_0001))  // signalling NaN with a low payload
        XCTAssertTrue(HalfPrecision.float(fromBF16Bits: nan).isNaN, "a NaN whose payload is below bit 16 stays NaN")
        XCTAssertEqual(HalfPrecision.bf16Bits(from: Float(bitPattern: 0xFFC0_0000)), 0xFFC0)
    }
}
