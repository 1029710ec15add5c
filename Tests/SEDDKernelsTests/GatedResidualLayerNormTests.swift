import SEDDKernels
import XCTest

/// `GatedResidual.forwardThenLayerNormBF16` against its twins run one after the other
/// (`GatedResidual.forward`, then `LayerNorm.forwardModulatedBF16`).
final class GatedResidualLayerNormTests: XCTestCase {
    var rng = SeededRandom(seed: 53)

    func random(_ n: Int, scale: Double = 1) -> FloatBuffer { rng.gaussianBuffer(n, scale: scale) }

    func testFusedRowsEqualTheSeparateKernelsBitForBit() {
        // H = 384 (whole 16-lane chunks), 40 (a chunk and an 8-lane tail), 7 (tail only); B = 2 so the
        // per-sequence gate, shift and scale rows are picked by row; gate and modulation rows at
        // different strides, as when the gate is this block's and the LayerNorm the next block's.
        for (B, L, H) in [(1, 37, 384), (2, 19, 40), (2, 5, 7)] {
            let n = B * L * H
            let x0 = random(n, scale: 3), branch = random(n)
            let gates = random(B * 6 * H), mods = random(B * 2 * H, scale: 0.2), weight = random(H)
            let gate = gates.pointer + 5 * H, shift = mods.pointer, scale = mods.pointer + H
            let fusedX = FloatBuffer(x0.array), fusedOut = ByteBuffer(byteCount: n * 2)
            GatedResidual.forwardThenLayerNormBF16(
                x: fusedX.pointer, branch: branch.pointer, gate: gate, gateStride: 6 * H, weight: weight.pointer,
                shift: shift, scale: scale, modStride: 2 * H, out: fusedOut.bf16, B: B, L: L, H: H)
            let twinX = FloatBuffer(x0.array), twinOut = ByteBuffer(byteCount: n * 2)
            GatedResidual.forward(x: twinX.pointer, branch: branch.pointer, gate: gate, modStride: 6 * H, B: B, L: L, H: H)
            LayerNorm.forwardModulatedBF16(
                x: twinX.pointer, weight: weight.pointer, shift: shift, scale: scale, modStride: 2 * H,
                out: twinOut.bf16, mean: nil, rstd: nil, B: B, L: L, H: H)
            for i in 0..<n {
                XCTAssertEqual(fusedX[i].bitPattern, twinX[i].bitPattern, "x, \(B)x\(L)x\(H) at \(i)")
                XCTAssertEqual(fusedOut.bf16[i], twinOut.bf16[i], "normalised, \(B)x\(L)x\(H) at \(i)")
            }
            // The add happened (the twins are not both no-ops).
            XCTAssertNotEqual(fusedX[0], x0[0])
        }
    }
}
