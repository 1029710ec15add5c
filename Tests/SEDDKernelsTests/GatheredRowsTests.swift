import SEDDKernels
import XCTest

/// The listed-rows kernels of the pruned last block against their every-row twins: the attention of
/// some query positions (`forwardInferenceGatheredRows` vs `forwardInferenceRowBlocks`) and the
/// gated residual adds on compact rows (vs the contiguous row-range kernels). Bit for bit.
final class GatheredRowsTests: XCTestCase {
    var rng = SeededRandom(seed: 97)

    func random(_ n: Int, scale: Double = 1) -> FloatBuffer { rng.gaussianBuffer(n, scale: scale) }

    func heads16(_ count: Int, scale: Double) -> ByteBuffer {
        let buffer = ByteBuffer(byteCount: count * 2)
        for i in 0..<count { buffer.bf16[i] = BFloat16.fromFloat(Float(rng.nextGaussian() * scale)) }
        return buffer
    }

    func testGatheredQueryRowsEqualTheEveryRowAttentionBitForBit() throws {
        try XCTSkipUnless(OneDNN.isAvailable, "oneDNN has no CPU engine here")
        // (B, L, heads, d, rowBlock, listed rows): contiguous; unsorted across two sequences with a
        // repeat; one row; more rows than a row block (pieces, and a run split at a piece boundary);
        // every row; the infill head size.
        let cases: [(Int, Int, Int, Int, Int, [Int])] = [
            (1, 64, 2, 16, 16, Array(5..<37)),
            (2, 53, 3, 32, 16, [60, 2, 3, 100, 52, 53, 7, 7, 105]),
            (1, 37, 1, 64, 64, [36]),
            (2, 40, 2, 16, 16, Array(stride(from: 0, to: 80, by: 3))),
            (1, 20, 2, 16, 128, Array(0..<20)),
            (1, 256, 6, 64, 128, Array(stride(from: 255, to: 0, by: -9))),
        ]
        for (B, L, heads, d, R, rows) in cases {
            let H = heads * d, count = B * heads * L * d
            let q = heads16(count, scale: 0.5), k = heads16(count, scale: 1), v = heads16(count, scale: 1)
            let scratch = RowBlockAttentionScratch(length: L, headDim: d, rowBlock: R)
            let every = ByteBuffer(byteCount: B * L * H * 2)
            AttentionBF16.forwardInferenceRowBlocks(
                q: q.bf16, k: k.bf16, v: v.bf16, out: every.bf16, scratch: scratch, B: B, L: L, heads: heads, headDim: d)
            let positions = IntBuffer(count: rows.count)
            for (i, r) in rows.enumerated() { positions[i] = Int32(r) }
            let gathered = ByteBuffer(byteCount: rows.count * H * 2)
            AttentionBF16.forwardInferenceGatheredRows(
                q: q.bf16, k: k.bf16, v: v.bf16, out: gathered.bf16, rows: positions.pointer, rowCount: rows.count,
                scratch: scratch, B: B, L: L, heads: heads, headDim: d)
            var mismatches = 0, nonzero = 0
            for (i, r) in rows.enumerated() {
                for j in 0..<H {
                    if gathered.bf16[i * H + j] != every.bf16[r * H + j] { mismatches += 1 }
                    if gathered.bf16[i * H + j] != 0 { nonzero += 1 }
                }
            }
            XCTAssertEqual(mismatches, 0, "B=\(B) L=\(L) heads=\(heads) d=\(d) R=\(R) rows=\(rows.count)")
            XCTAssertGreaterThan(nonzero, rows.count * H / 2, "the output was not written")
        }
    }

    func testGatheredResidualsEqualTheRowRangeKernelsBitForBit() {
        for (B, L, H) in [(1, 37, 384), (2, 19, 40)] {
            let n = B * L * H
            let positions: [Int] = B == 1 ? [30, 2, 3, 36] : [20, 1, 37, 0, 19]
            let x0 = random(n, scale: 3), branch = random(n)
            let gates = random(B * 6 * H), weight = random(H)
            let mod = gates.pointer
            // Twins: every row, branch at each row's own position.
            let twinX = FloatBuffer(x0.array), twinOut = ByteBuffer(byteCount: n * 2)
            GatedResidual.forwardThenLayerNormBF16(
                rows: 0..<(B * L), x: twinX.pointer, branch: branch.pointer, gate: mod + 2 * H, gateStride: 6 * H,
                weight: weight.pointer, shift: mod + 3 * H, scale: mod + 4 * H, modStride: 6 * H, out: twinOut.bf16, L: L, H: H)
            GatedResidual.forward(rows: 0..<(B * L), x: twinX.pointer, branch: branch.pointer, gate: mod + 5 * H, modStride: 6 * H, L: L, H: H)
            // Gathered: the listed rows' branch rows packed in list order.
            let list = IntBuffer(count: positions.count)
            let compact = FloatBuffer(count: positions.count * H)
            for (i, r) in positions.enumerated() {
                list[i] = Int32(r)
                (compact.pointer + i * H).update(from: branch.pointer + r * H, count: H)
            }
            let x = FloatBuffer(x0.array), out = ByteBuffer(byteCount: positions.count * H * 2)
            GatedResidual.forwardThenLayerNormBF16(
                gathered: 0..<positions.count, positions: list.pointer, x: x.pointer, branch: compact.pointer,
                gate: mod + 2 * H, gateStride: 6 * H, weight: weight.pointer, shift: mod + 3 * H, scale: mod + 4 * H,
                modStride: 6 * H, out: out.bf16, L: L, H: H)
            GatedResidual.forward(
                gathered: 0..<positions.count, positions: list.pointer, x: x.pointer, branch: compact.pointer,
                gate: mod + 5 * H, modStride: 6 * H, L: L, H: H)
            let listed = Set(positions)
            for r in 0..<(B * L) {
                for j in 0..<H {
                    // Listed rows as the twins left them; the others untouched.
                    let expected = listed.contains(r) ? twinX[r * H + j] : x0[r * H + j]
                    XCTAssertEqual(x[r * H + j].bitPattern, expected.bitPattern, "x row \(r)")
                }
            }
            for (i, r) in positions.enumerated() {
                for j in 0..<H { XCTAssertEqual(out.bf16[i * H + j], twinOut.bf16[r * H + j], "normalised row \(r)") }
            }
        }
    }
}
