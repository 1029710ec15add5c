import Foundation
import SEDDKernels
@testable import SEDDModel
import XCTest

/// Growing a network by identity blocks (`DepthGrowth`): the same outputs, the expected layout.
final class DepthGrowthTests: XCTestCase {
    func logits(_ net: SEDDNetwork, batch B: Int, length L: Int) -> [Float] {
        let ws = ForwardWorkspace(config: net.config, batch: B, length: L)
        for i in 0..<(B * L) { ws.ids[i] = Int32((i * 7 + 3) % net.config.vocabularySize) }
        for b in 0..<B { ws.sigma[b] = b == 0 ? 0.3 : 2.5 }
        net.forward(ws)
        return Array(ws.logits.array.prefix(ws.headRowCount * net.config.vocabularySize))
    }

    func testGrownNetworkComputesTheSameLogits() throws {
        for precision in OneDNN.isAvailable ? [Precision.fp32, .bf16] : [.fp32] {
            let net = TestModels.network(TestModels.config(blocks: 2))
            net.precision = precision
            let growth = try DepthGrowth(config: net.config, blocks: 4)
            let grown = growth.grow(net)
            XCTAssertEqual(grown.config.blocks, 4)
            XCTAssertEqual(grown.precision, precision)
            let a = logits(net, batch: 2, length: 24), b = logits(grown, batch: 2, length: 24)
            XCTAssertEqual(a.count, b.count)
            XCTAssertTrue(zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(precision): the grown network's logits differ")
            // Not vacuous: the same growth with the gates left open changes the logits.
            let open = SEDDNetwork(config: growth.new, parameters: ParameterStore(table: growth.newTable), precision: precision)
            let copies = growth.grow(net.parameters.buffer.array, newBlocks: .copies)
            open.parameters.buffer.pointer.update(from: copies, count: copies.count)
            XCTAssertNotEqual(logits(open, batch: 2, length: 24), a, "\(precision): open gates should change the output")
        }
    }

    func testNewBlocksCopyTheLastBlockWithClosedGates() throws {
        let net = TestModels.network(TestModels.config(hidden: 32, blocks: 2))
        let growth = try DepthGrowth(config: net.config, blocks: 3)
        let grown = growth.grow(net).parameters
        let H = 32, C = net.config.condDim
        for suffix in ["norm1.weight", "attn_qkv.weight", "attn_out.weight", "mlp.0.weight", "mlp.2.bias"] {
            XCTAssertEqual(grown.values("blocks.2." + suffix), net.parameters.values("blocks.1." + suffix), suffix)
        }
        for i in 0..<2 {
            XCTAssertEqual(grown.values("blocks.\(i).adaLN_modulation.weight"), net.parameters.values("blocks.\(i).adaLN_modulation.weight"))
        }
        XCTAssertEqual(grown.values("output_layer.linear.weight"), net.parameters.values("output_layer.linear.weight"))
        let w = grown.values("blocks.2.adaLN_modulation.weight"), source = net.parameters.values("blocks.1.adaLN_modulation.weight")
        let bias = grown.values("blocks.2.adaLN_modulation.bias"), sourceBias = net.parameters.values("blocks.1.adaLN_modulation.bias")
        for chunk in 0..<6 {
            let rows = (chunk * H)..<((chunk + 1) * H)
            let isGate = chunk == 2 || chunk == 5
            for r in rows {
                XCTAssertEqual(bias[r], isGate ? 0 : sourceBias[r], "bias row \(r)")
                for c in 0..<C { XCTAssertEqual(w[r * C + c], isGate ? 0 : source[r * C + c], "weight row \(r)") }
            }
        }
        let zeros = growth.grow(net.parameters.buffer.array, newBlocks: .zeros)
        let e = growth.newTable.entry("blocks.2.attn_qkv.weight")!
        XCTAssertTrue(zeros[e.offset..<(e.offset + e.count)].allSatisfy { $0 == 0 })
    }

    func testGrowingNeedsMoreBlocks() {
        let config = TestModels.config(blocks: 2)
        XCTAssertThrowsError(try DepthGrowth(config: config, blocks: 2)) { error in
            XCTAssertTrue("\(error)".contains("more than the model's 2"), "\(error)")
        }
    }
}
