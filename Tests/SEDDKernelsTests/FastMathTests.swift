import SEDDKernels
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// The vectorised exp, GELU and softmax against glibc and Double oracles.
final class FastMathTests: XCTestCase {
    var rng = SeededRandom(seed: 5)

    func testExpIsWithinThreeUlpOfExpfOverItsRange() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88.5 {
            let fast = FastMath.exp(x), ref = expf(x)
            worst = max(worst, abs(fast - ref) / ref)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 3 * Float.ulpOfOne, "relative error \(worst)")
        XCTAssertEqual(FastMath.exp(0), 1)
        // Clamped, never infinite or NaN.
        XCTAssertTrue(FastMath.exp(1000).isFinite)
        XCTAssertLessThan(FastMath.exp(-1000), 1e-37)
    }

    func testGELUMatchesTheTanhfTwin() {
        let n = 4099  // not a multiple of 16 or of the 4096-element blocks
        let x = FloatBuffer(count: n), y = FloatBuffer(count: n), ref = FloatBuffer(count: n)
        for i in 0..<n { x[i] = Float(rng.nextGaussian()) * 4 }
        x[0] = 30
        x[1] = -30
        Activation.geluForward(x.pointer, y.pointer, n)
        Activation.geluForwardNaive(x.pointer, ref.pointer, n)
        for i in 0..<n { XCTAssertEqual(y[i], ref[i], accuracy: 2e-6 * max(1, abs(ref[i])), "at \(i)") }
    }

    func testSoftmaxRowMatchesDouble() {
        for n in [1, 5, 16, 33, 300] {
            let row = FloatBuffer(count: n)
            for i in 0..<n { row[i] = Float(rng.nextGaussian()) * 5 }
            let xs = row.array.map(Double.init)
            let m = xs.max()!
            let z = xs.reduce(0) { $0 + exp($1 - m) }
            Attention.softmaxRow(row.pointer, n)
            for i in 0..<n { XCTAssertEqual(Double(row[i]), exp(xs[i] - m) / z, accuracy: 1e-6, "n \(n) at \(i)") }
        }
    }

    func testBFloat16RoundsToNearestEven() {
        XCTAssertEqual(BFloat16.fromFloat(1), 0x3F80)
        XCTAssertEqual(BFloat16.fromFloat(-2), 0xC000)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even pattern (1.0).
        XCTAssertEqual(BFloat16.fromFloat(1 + 0x1p-8), 0x3F80)
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        XCTAssertEqual(BFloat16.fromFloat(1 + 3 * 0x1p-8), 0x3F82)
        XCTAssertEqual(BFloat16.fromFloat(1 + 0x1p-8 + 0x1p-20), 0x3F81)
        XCTAssertTrue(BFloat16.toFloat(BFloat16.fromFloat(.nan)).isNaN)
        XCTAssertEqual(BFloat16.toFloat(BFloat16.fromFloat(.infinity)), .infinity)
        // The SIMD path rounds exactly like the scalar one.
        let n = 1000
        let x = FloatBuffer(count: n)
        for i in 0..<n { x[i] = Float(rng.nextGaussian()) * 100 }
        let out = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
        defer { out.deallocate() }
        BFloat16.convert(x.pointer, to: out, count: n)
        for i in 0..<n {
            XCTAssertEqual(out[i], BFloat16.fromFloat(x[i]))
            XCTAssertEqual(BFloat16.toFloat(out[i]), x[i], accuracy: abs(x[i]) * 0x1p-8)
        }
    }
}
