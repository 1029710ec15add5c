import SEDDKernels
import XCTest

@testable import SEDDModel

/// Reusing adaLN modulations across passes with the same sigma gives the numbers computing them
/// gives, and changed weights empty the cache.
final class ModulationCacheTests: XCTestCase {
    func logits(_ net: SEDDNetwork, sigma: [Float], reuse: Bool, ws: ForwardWorkspace? = nil) -> [Float] {
        let c = net.config
        let B = sigma.count, L = 12
        let ws = ws ?? ForwardWorkspace(config: c, batch: B, length: L)
        ws.reusesModulation = reuse
        for i in 0..<(B * L) { ws.ids[i] = Int32((i * 7) % c.tokens) }
        for b in 0..<B { ws.sigma[b] = sigma[b] }
        net.forward(ws)
        return Array(ws.logits.array.prefix(B * L * c.vocabularySize))
    }

    func testReusedModulationsGiveTheComputedNumbers() {
        for precision in [Precision.fp32, .bf16] where precision == .fp32 || OneDNN.isAvailable {
            let net = TestModels.network(TestModels.config(graph: .absorb, tokens: 40, hidden: 32, blocks: 2, length: 12))
            net.precision = precision
            let plain = logits(net, sigma: [0.7, 2.5], reuse: false)
            let ws = ForwardWorkspace(config: net.config, batch: 2, length: 12)
            let recorded = logits(net, sigma: [0.7, 2.5], reuse: true, ws: ws)  // miss: computed and kept
            let reused = logits(net, sigma: [0.7, 2.5], reuse: true, ws: ws)  // hit: read back
            XCTAssertEqual(recorded, plain, "\(precision)")
            XCTAssertEqual(reused, plain, "\(precision)")
            // One row seen, one new: computed again, still the same numbers.
            let mixed = logits(net, sigma: [2.5, 0.1], reuse: true, ws: ws)
            XCTAssertEqual(mixed, logits(net, sigma: [2.5, 0.1], reuse: false), "\(precision)")
            XCTAssertNotEqual(mixed, plain, "the test must see sigma matter")
        }
    }

    func testChangedWeightsEmptyTheCache() {
        let net = TestModels.network(TestModels.config(graph: .absorb, tokens: 40, hidden: 32, blocks: 2, length: 12))
        net.precision = .fp32
        let ws = ForwardWorkspace(config: net.config, batch: 1, length: 12)
        let before = logits(net, sigma: [1.3], reuse: true, ws: ws)
        let w = net.parameters.pointer("blocks.0.adaLN_modulation.bias")
        for i in 0..<net.parameters.table.entry("blocks.0.adaLN_modulation.bias")!.count { w[i] += 0.25 }
        net.parametersDidChange()
        let after = logits(net, sigma: [1.3], reuse: true, ws: ws)
        XCTAssertNotEqual(after, before)
        XCTAssertEqual(after, logits(net, sigma: [1.3], reuse: false))
    }
}
