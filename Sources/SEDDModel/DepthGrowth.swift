/// Deepening a trained network without changing what it computes.
///
/// A DDiT block adds its attention and its MLP to the residual stream through gates that its adaLN
/// modulation makes from the time conditioning (`gate_msa` and `gate_mlp`, the third and sixth of the
/// six chunks). With the gate rows of that modulation (weight and bias) zero, both gates are zero for
/// every input and the block is the identity, so a network with such blocks added computes exactly
/// what it did before; training then opens the gates, since their gradient is not zero. New blocks go
/// after the last one (before the output layer) and start as copies of it, weights that already suit
/// the residual stream, rather than random ones.
///
/// Used to grow a model into the latency budget the engine has since freed, keeping what it learned.
public struct DepthGrowth: Sendable {
    public let old: SEDDConfig
    public let new: SEDDConfig
    public let oldTable: ParameterTable
    public let newTable: ParameterTable

    /// What a new block's values start as, per buffer.
    public enum NewBlocks: Sendable {
        /// Weights (and their average): copies of the last block with the gate rows zero (the identity).
        case identityCopies
        /// A copy of the last block's values (the optimizer's second moments: the scale of its gradients).
        case copies
        /// Zero (the optimizer's first moments: no direction yet).
        case zeros
    }

    /// Growth of `config` to `blocks` blocks in all (more than it has), optionally under a new name.
    public init(config: SEDDConfig, blocks: Int, name: String? = nil) throws(ModelError) {
        guard blocks > config.blocks else {
            throw .invalidArgument(name: "blocks", reason: "must be more than the model's \(config.blocks) to grow it, got \(blocks)")
        }
        old = config
        var grown = config
        grown.blocks = blocks
        if let name { grown.name = name }
        new = grown
        oldTable = ParameterTable(config: old)
        newTable = ParameterTable(config: new)
    }

    /// The flat buffer of the grown network from one laid out for the old one (parameters, EMA or Adam
    /// moments: the same layout).
    public func grow(_ values: [Float], newBlocks: NewBlocks) -> [Float] {
        precondition(values.count == oldTable.count, "buffer does not match the model's parameter table")
        var out = [Float](repeating: 0, count: newTable.count)
        let last = "blocks.\(old.blocks - 1)."
        let H = old.hiddenSize
        for e in newTable.entries {
            let (sourceName, isNew) = Self.source(of: e.name, oldBlocks: old.blocks, lastBlockPrefix: last)
            if isNew && newBlocks == .zeros { continue }
            guard let s = oldTable.entry(sourceName) else { preconditionFailure("no old parameter for \(e.name)") }
            out.withUnsafeMutableBufferPointer { o in
                values.withUnsafeBufferPointer { v in
                    (o.baseAddress! + e.offset).update(from: v.baseAddress! + s.offset, count: e.count)
                    guard isNew && newBlocks == .identityCopies && e.name.contains("adaLN_modulation") else { return }
                    // Rows [2H, 3H) and [5H, 6H) make gate_msa and gate_mlp; a row of the weight is
                    // cond_dim long, of the bias one value.
                    let rowLength = e.shape.count == 2 ? e.shape[1] : 1
                    for gate in [2, 5] {
                        (o.baseAddress! + e.offset + gate * H * rowLength).update(repeating: 0, count: H * rowLength)
                    }
                }
            }
        }
        return out
    }

    /// The grown network (new blocks the identity) of one with the old config.
    public func grow(_ network: SEDDNetwork) -> SEDDNetwork {
        precondition(network.config == old, "network does not have the config this growth starts from")
        let store = ParameterStore(table: newTable)
        let grown = grow(network.parameters.buffer.array, newBlocks: .identityCopies)
        store.buffer.pointer.update(from: grown, count: grown.count)
        return SEDDNetwork(config: new, parameters: store, precision: network.precision)
    }

    /// The old parameter a new one copies, and whether it belongs to an added block.
    static func source(of name: String, oldBlocks: Int, lastBlockPrefix: String) -> (String, Bool) {
        guard name.hasPrefix("blocks.") else { return (name, false) }
        let rest = name.dropFirst("blocks.".count)
        guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]), index >= oldBlocks else { return (name, false) }
        return (lastBlockPrefix + rest[rest.index(after: dot)...], true)
    }
}
