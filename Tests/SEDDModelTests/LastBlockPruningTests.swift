import Foundation
import SEDDKernels
@testable import SEDDModel
import XCTest

/// The bf16 inference pass with its last block pruned to the output head's rows
/// (`SEDDNetwork.prunesLastBlock`) against the same pass computing every row (the oracle).
final class LastBlockPruningTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(OneDNN.isAvailable, "oneDNN has no CPU engine here")
    }

    struct Pass {
        var logits: [Float]
        var lastBlockRowCount: Int
        var lastBlockPhasesMs: Double
    }

    /// One bf16 inference pass on a fresh workspace with the head on `rows` (nil: every row).
    func pass(_ net: SEDDNetwork, batch B: Int, length L: Int, rows: [Int]?, prune: Bool) -> Pass {
        net.prunesLastBlock = prune
        let ws = ForwardWorkspace(config: net.config, batch: B, length: L)
        for i in 0..<(B * L) { ws.ids[i] = Int32((i * 7 + 3) % net.config.tokens) }
        for b in 0..<B { ws.sigma[b] = b == 0 ? 0.3 : 2.5 }
        ws.setHeadRows(rows)
        PhaseTimer.reset()
        PhaseTimer.enabled = true
        net.forward(ws)
        PhaseTimer.enabled = false
        let ms = Dictionary(uniqueKeysWithValues: PhaseTimer.milliseconds.map { ($0.0, $0.1) })
        let V = net.config.vocabularySize
        return Pass(
            logits: Array(ws.logits.array.prefix(ws.headRowCount * V)), lastBlockRowCount: ws.lastBlockRowCount,
            lastBlockPhasesMs: ms[.lastBlockAttention]! + ms[.lastBlockRows]!)
    }

    /// The head-row sets of the issue: contiguous, scattered (unsorted), one row, two sequences with
    /// different rows listed interleaved, more rows than an attention row block (128) so the query
    /// rows come in pieces and the products' padding reaches the next multiple of 64, and all rows.
    func headRowSets(batch B: Int, length L: Int) -> [(String, [Int]?)] {
        var rng = SeededRandom(seed: 5)
        var scattered = Set<Int>()
        while scattered.count < 17 { scattered.insert(Int(rng.next() % UInt64(L))) }
        var sets: [(String, [Int]?)] = [
            ("contiguous", Array(10..<42)),
            ("scattered", Array(scattered).sorted().reversed()),
            ("one row", [L - 1]),
            ("all rows", nil),
        ]
        if B == 2 {
            // Sequence 0 at a few early positions, sequence 1 elsewhere, alternating in the list.
            let first = [3, 4, 90, 149].map { min($0, L - 1) }, second = [0, 20, 21, 77, 100].map { L + min($0, L - 1) }
            var interleaved: [Int] = []
            for i in 0..<max(first.count, second.count) {
                if i < second.count { interleaved.append(second[i]) }
                if i < first.count { interleaved.append(first[i]) }
            }
            sets.append(("batch 2, different rows per sequence", interleaved))
            sets.append(("more than a row block", Array(stride(from: 1, to: 2 * L, by: 2))))
        }
        return sets
    }

    /// fp32 products are OpenBLAS's, whose kernel and blocking depend on the row count (a small-matrix
    /// kernel for small products, another split across threads), so a row's dot products may be
    /// summed in another order when the last block runs on n rows instead of B*L: each product output
    /// moves by a few fp32 ulps of its terms, and LN2, the MLP and the head carry that on. The bound,
    /// relative to the largest logit, is 16 ulps of it; the measured difference is under 2 ulps
    /// (the head alone, on n rows instead of every row, already differs by as much).
    let fp32Tolerance: Float = 16 * Float.ulpOfOne

    func checkPruningIsExact(_ config: SEDDConfig, batch B: Int, length L: Int, precision: Precision = .bf16) {
        let net = TestModels.network(config)
        net.precision = precision
        let V = config.vocabularySize
        let everyRow = pass(net, batch: B, length: L, rows: nil, prune: false)
        for (name, rows) in headRowSets(batch: B, length: L) {
            let n = rows?.count ?? B * L
            let pruned = pass(net, batch: B, length: L, rows: rows, prune: true)
            let full = pass(net, batch: B, length: L, rows: rows, prune: false)
            XCTAssertEqual(pruned.logits.count, n * V, name)
            // The pruned path ran exactly when fewer rows than positions get the head.
            XCTAssertEqual(pruned.lastBlockRowCount, n, name)
            XCTAssertEqual(full.lastBlockRowCount, B * L, name)
            XCTAssertEqual(full.lastBlockPhasesMs, 0, name)
            if n < B * L {
                XCTAssertGreaterThan(pruned.lastBlockPhasesMs, 0, "\(name): the pruned last block did not run")
            } else {
                XCTAssertEqual(pruned.lastBlockPhasesMs, 0, name)
            }
            // Bit for bit: against the same head rows computed in full, and against a pass whose
            // head ran on every row (row i of the pruned logits is position rows[i]'s).
            var worst: Float = 0, worstEvery: Float = 0
            for i in 0..<n {
                let r = rows?[i] ?? i
                for j in 0..<V {
                    worst = max(worst, abs(pruned.logits[i * V + j] - full.logits[i * V + j]))
                    worstEvery = max(worstEvery, abs(pruned.logits[i * V + j] - everyRow.logits[r * V + j]))
                }
            }
            let scale = everyRow.logits.reduce(Float(0)) { max($0, abs($1)) }
            print("\(precision) \(name): max |pruned - full| \(worst), vs every row \(worstEvery), max |logit| \(scale)")
            if precision == .bf16 {
                XCTAssertEqual(worst, 0, "\(name): pruned vs full at the same head rows")
                XCTAssertEqual(worstEvery, 0, "\(name): pruned vs the head on every row")
            } else {
                XCTAssertLessThanOrEqual(worst, fp32Tolerance * scale, "\(name): pruned vs full at the same head rows")
                XCTAssertLessThanOrEqual(worstEvery, fp32Tolerance * scale, "\(name): pruned vs the head on every row")
            }
            XCTAssertTrue(pruned.logits.allSatisfy { $0.isFinite }, name)
        }
    }

    /// Small heads (d = 16), three blocks, L = 150 (a tail after the 128-row attention block).
    func testPrunedLastBlockGivesTheSameLogitsSmallHeads() {
        checkPruningIsExact(TestModels.config(hidden: 64, blocks: 3, length: 150), batch: 2, length: 150)
        checkPruningIsExact(TestModels.config(hidden: 64, blocks: 3, length: 150), batch: 1, length: 150)
    }

    /// The default infill model's block shape: hidden 384, six heads of 64.
    func testPrunedLastBlockGivesTheSameLogitsAtTheInfillBlockShape() {
        let config = SEDDConfig(
            tokens: 40, graph: .absorb, noise: .loglinear, name: "test-384", hiddenSize: 384, condDim: 16, heads: 6,
            blocks: 2, length: 150)
        checkPruningIsExact(config, batch: 2, length: 150)
    }

    /// fp32 inference: the last block's attention on every row, the rest on the head rows.
    func testPrunedLastBlockGivesTheSameLogitsInFP32() {
        checkPruningIsExact(TestModels.config(hidden: 64, blocks: 3, length: 150), batch: 2, length: 150, precision: .fp32)
    }

    /// A position listed twice: the pruned block would add its residual twice, so the pass computes
    /// every row and the head reads the row twice.
    func testRepeatedHeadRowsComputeEveryRow() {
        let config = TestModels.config(hidden: 64, blocks: 2, length: 40)
        let net = TestModels.network(config)
        net.precision = .bf16
        let V = config.vocabularySize
        let rows = [7, 3, 7, 20]
        let p = pass(net, batch: 1, length: 40, rows: rows, prune: true)
        XCTAssertEqual(p.lastBlockRowCount, 40)
        let every = pass(net, batch: 1, length: 40, rows: nil, prune: false)
        for (i, r) in rows.enumerated() {
            XCTAssertEqual(Array(p.logits[(i * V)..<((i + 1) * V)]), Array(every.logits[(r * V)..<((r + 1) * V)]), "row \(r)")
        }
        // Distinct rows in any order still prune.
        XCTAssertEqual(pass(net, batch: 1, length: 40, rows: [20, 3, 7], prune: true).lastBlockRowCount, 3)
    }

    /// Paths that keep every row: the op-by-op bf16 path, and training.
    func testOtherPathsComputeEveryRow() {
        let config = TestModels.config(hidden: 64, blocks: 2, length: 40)
        let net = TestModels.network(config)
        net.precision = .bf16
        net.fusedInference = false
        let p = pass(net, batch: 1, length: 40, rows: [3, 9], prune: true)
        XCTAssertEqual(p.lastBlockRowCount, 40)
        XCTAssertEqual(p.lastBlockPhasesMs, 0)
        net.fusedInference = true
        net.fusedInference = true
        let ws = ForwardWorkspace(config: config, batch: 1, length: 40, training: true)
        for i in 0..<40 { ws.ids[i] = Int32(i % 3 == 0 ? config.maskID! : i % config.tokens) }
        ws.sigma[0] = 1
        net.forward(ws)
        XCTAssertLessThan(ws.headRowCount, 40)
        XCTAssertEqual(ws.lastBlockRowCount, 40, "training must compute every row for the backward pass")
    }
}
