import Foundation
import SEDDKernels
import TestSupport
@testable import SEDDModel

/// Small randomly initialised networks for tests (real computation, tiny shapes).
enum TestModels {
    static func config(graph: GraphKind = .absorb, tokens: Int = 40, hidden: Int = 32, blocks: Int = 2, length: Int = 24) -> SEDDConfig {
        SEDDConfig(
            tokens: tokens, graph: graph, noise: graph == .absorb ? .loglinear : .geometric, name: "test-\(graph.rawValue)",
            hiddenSize: hidden, condDim: 16, heads: 4, blocks: blocks, length: length)
    }

    /// Random weights everywhere (the reference's init zeroes the output layer, which would make
    /// every sample uniform and hide bugs).
    static func network(_ config: SEDDConfig, seed: UInt64 = 7) -> SEDDNetwork {
        let store = ParameterStore(table: ParameterTable(config: config))
        var rng = SeededRandom(seed: seed)
        for e in store.table.entries {
            for i in 0..<e.count { store.buffer[e.offset + i] = Float(rng.nextGaussian()) * 0.3 }
        }
        return SEDDNetwork(config: config, parameters: store)
    }

    static func temporaryDirectory() -> URL { ScratchDirectory.make("sedd-tests") }
}
