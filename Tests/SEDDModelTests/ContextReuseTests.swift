import Foundation
import SEDDKernels
@testable import SEDDModel
import XCTest

/// The context cache (`ContextCache`): a `reuse` pass runs every block on the active rows only,
/// against the keys and values the last `record` pass kept.
final class ContextReuseTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(OneDNN.isAvailable, "oneDNN has no CPU engine here")
    }

    func bf16Network(blocks: Int, length: Int) -> SEDDNetwork {
        let net = TestModels.network(TestModels.config(hidden: 64, blocks: blocks, length: length))
        net.precision = .bf16
        return net
    }

    func fill(_ ws: ForwardWorkspace, tokens: Int, salt: Int = 0) {
        for i in 0..<(ws.batch * ws.length) { ws.ids[i] = Int32((i * 7 + 3 + salt * (i % 5)) % tokens) }
        for b in 0..<ws.batch { ws.sigma[b] = b == 0 ? 0.3 : 2.5 }
    }

    func headLogits(_ ws: ForwardWorkspace, _ net: SEDDNetwork) -> [Float] {
        Array(ws.logits.array.prefix(ws.headRowCount * net.config.vocabularySize))
    }

    /// A workspace with `fill`'s ids, a context cache over `active` and the head on `heads`, after a
    /// recording pass: the pass's head logits and the cache.
    func recorded(_ net: SEDDNetwork, batch B: Int, length L: Int, active: [Int], heads: [Int])
        -> (ws: ForwardWorkspace, cache: ContextCache, logits: [Float])
    {
        let ws = ForwardWorkspace(config: net.config, batch: B, length: L)
        fill(ws, tokens: net.config.tokens)
        let cache = ws.contextCache(config: net.config)
        cache.setActiveRows(active)
        ws.setHeadRows(heads)
        cache.pass = .record
        net.forward(ws)
        return (ws, cache, headLogits(ws, net))
    }

    /// An ordinary pass (no cache) on a fresh workspace with the same ids, sigma and head rows.
    func plainPass(_ net: SEDDNetwork, like ws: ForwardWorkspace, heads: [Int]) -> [Float] {
        let plain = ForwardWorkspace(config: net.config, batch: ws.batch, length: ws.length)
        plain.ids.pointer.update(from: ws.ids.pointer, count: ws.batch * ws.length)
        plain.sigma.pointer.update(from: ws.sigma.pointer, count: ws.batch)
        plain.setHeadRows(heads)
        net.forward(plain)
        return headLogits(plain, net)
    }

    /// Active-row sets: one hole, two holes in one sequence, holes in both sequences of a batch of
    /// two, and more rows than an attention row block (128). Head rows are some of them.
    func activeSets(batch B: Int, length L: Int) -> [(String, active: [Int], heads: [Int])] {
        var sets: [(String, active: [Int], heads: [Int])] = [
            ("one hole", Array(20..<52), Array(stride(from: 21, to: 52, by: 3))),
            ("two holes", Array(5..<9) + Array(100..<117), [6, 8, 100, 101, 116]),
            ("wide", Array(0..<140), Array(0..<140)),
        ]
        if B == 2 {
            sets.append(("both sequences", Array(30..<40) + Array((L + 60)..<(L + 90)), [31, 35, L + 60, L + 89]))
        }
        return sets
    }

    /// oneDNN's products on fewer rows nearly always give a row the same sums (most sets here agree
    /// bit for bit), but not always: one row of one set ("two holes", batch of two) moved by 1.5e-4 of
    /// the largest logit, a rounding of one bf16 intermediate. A wrong gather or scatter moves
    /// logits by their own size.
    let reuseTolerance: Float = 1e-3

    /// With nothing changed since the recording, a reuse pass is the full pass row for row: the same
    /// row kernels and products on fewer rows (`reuseTolerance`). Recording does not change the
    /// recording pass's own logits.
    func testReuseOfAnUnchangedStateGivesTheFullPassLogits() {
        for (B, blocks) in [(1, 3), (2, 2)] {
            let L = 150
            let net = bf16Network(blocks: blocks, length: L)
            for (name, active, heads) in activeSets(batch: B, length: L) {
                let (ws, cache, recorded) = self.recorded(net, batch: B, length: L, active: active, heads: heads)
                cache.pass = .reuse
                net.forward(ws)
                let reused = headLogits(ws, net)
                XCTAssertEqual(ws.lastBlockRowCount, active.count, "\(name): the reuse pass ran on the active rows")
                cache.pass = .off
                let plain = plainPass(net, like: ws, heads: heads)
                XCTAssertEqual(recorded, plain, "B=\(B) \(name): the recording pass")
                let scale = plain.reduce(Float(0)) { max($0, abs($1)) }
                let gap = zip(reused, plain).map { abs($0 - $1) }.max()!
                print("B=\(B) \(name): max |reuse - full| \(gap), max |logit| \(scale)")
                XCTAssertLessThanOrEqual(gap, reuseTolerance * scale, "B=\(B) \(name): the reuse pass")
                XCTAssertEqual([cache.fullPasses, cache.reusePasses], [1, 1], name)
            }
        }
    }

    /// One block: the context's keys and values depend on the context's own tokens and sigma only,
    /// so after the hole's tokens change the reuse pass is still exact, which checks that the active
    /// rows' keys and values are made anew and reach every active query. With two blocks the
    /// second block's context keys have seen the old hole: the reuse pass is then an approximation,
    /// near the full pass but not equal to it.
    func testChangedHoleTokensAreSeen() {
        let L = 96
        let active = Array(40..<56), heads = [41, 44, 50, 55]
        for blocks in [1, 2] {
            let net = bf16Network(blocks: blocks, length: L)
            let (ws, cache, before) = recorded(net, batch: 1, length: L, active: active, heads: heads)
            for p in active where !heads.contains(p) { ws.ids[p] = Int32((Int(ws.ids[p]) + 11) % net.config.tokens) }
            cache.pass = .reuse
            net.forward(ws)
            let reused = headLogits(ws, net)
            cache.pass = .off
            let plain = plainPass(net, like: ws, heads: heads)
            XCTAssertNotEqual(plain, before, "the change must matter to the full pass")
            let gap = zip(reused, plain).map { abs($0 - $1) }.max()!
            let moved = zip(plain, before).map { abs($0 - $1) }.max()!
            print("blocks \(blocks): max |reuse - full| \(gap), max |full after - full before| \(moved)")
            if blocks == 1 {
                XCTAssertEqual(reused, plain, "one block: the reuse pass is exact")
            } else {
                XCTAssertGreaterThan(gap, 0, "two blocks: the stale context should show")
                XCTAssertLessThan(gap, moved, "two blocks: the reuse pass should follow the change most of the way")
            }
        }
    }

    /// A reuse pass before any recording, and reuse on the fp32 path, run in full.
    func testReuseFallsBackToFullPasses() {
        let L = 64, heads = [10, 11, 12]
        let net = bf16Network(blocks: 2, length: L)
        let ws = ForwardWorkspace(config: net.config, batch: 1, length: L)
        fill(ws, tokens: net.config.tokens)
        let cache = ws.contextCache(config: net.config)
        cache.setActiveRows(Array(8..<16))
        ws.setHeadRows(heads)
        cache.pass = .reuse
        net.forward(ws)
        XCTAssertEqual([cache.fullPasses, cache.reusePasses], [1, 0], "nothing recorded yet: a full pass")
        XCTAssertEqual(headLogits(ws, net), { cache.pass = .off; return plainPass(net, like: ws, heads: heads) }())

        net.precision = .fp32
        cache.pass = .reuse
        net.forward(ws)
        let fp32 = headLogits(ws, net)
        cache.pass = .off
        XCTAssertEqual(fp32, plainPass(net, like: ws, heads: heads), "fp32 has no reuse path")
    }

    /// The sampler's schedule: a full pass every `contextRefresh` passes (its first always), the rest
    /// on the hole; the held positions come back as given; refresh 1 runs no cache at all.
    func testSamplerRefreshesEveryKPasses() {
        let L = 64
        let net = bf16Network(blocks: 2, length: L)
        // A zero output layer (the reference's init) reveals at the noise schedule's pace, so masked
        // positions of the 40-position hole remain until the last step and every step runs a pass.
        let head = net.parameters.table.entry("output_layer.linear.weight")!
        net.parameters.pointer("output_layer.linear.weight").update(repeating: 0, count: head.count)
        net.parametersDidChange()
        let held = Array(0..<12) + Array(52..<L)
        let fixed = FixedTokens(positions: held, tokens: held.map { ($0 * 3) % (net.config.tokens - 1) })
        // Passes 0-7 (the last step reveals what is left, so the denoiser runs none): full at the
        // multiples of the refresh period.
        for (refresh, expected) in [(1, [0, 0]), (4, [2, 6]), (3, [3, 5]), (100, [1, 7])] {
            let ws = ForwardWorkspace(config: net.config, batch: 1, length: L)
            let sampler = DiffusionSampler(network: net)
            let options = SamplingOptions(steps: 8, temperature: 0, unmasking: .confident, contextRefresh: refresh)
            let out = sampler.sample(ws: ws, options: options, fixed: [fixed], seeds: [3])!
            let cache = ws.existingContextCache
            XCTAssertEqual([cache?.fullPasses ?? 0, cache?.reusePasses ?? 0], expected, "refresh \(refresh)")
            XCTAssertEqual(sampler.core.forwardPasses, 8, "refresh \(refresh): one pass a step")
            XCTAssertEqual(cache?.pass ?? .off, .off, "the cache is left off for other passes")
            for (p, t) in zip(fixed.positions, fixed.tokens) { XCTAssertEqual(out[0][p], t) }
            XCTAssertFalse(out[0][12..<52].contains(net.config.maskID!), "refresh \(refresh): every hole position decided")
        }
    }
}
