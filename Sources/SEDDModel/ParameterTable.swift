import SEDDKernels

/// The model's parameters by the reference's names (spec section 2.1), in registration order, laid
/// out in one flat `Float` buffer.
///
/// One flat buffer keeps the optimizer, the EMA, gradient clipping and checkpoints simple: each is a
/// loop over `count` floats. `rotary_emb.inv_freq` is a buffer, not a parameter: it is recomputed.
public struct ParameterTable: Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    public let count: Int
    private let index: [String: Int]

    public init(config c: SEDDConfig) {
        let H = c.hiddenSize, C = c.condDim, V = c.vocabularySize
        var list: [(String, [Int])] = [
            ("vocab_embed.embedding", [V, H]),
            ("sigma_map.mlp.0.weight", [C, 256]), ("sigma_map.mlp.0.bias", [C]),
            ("sigma_map.mlp.2.weight", [C, C]), ("sigma_map.mlp.2.bias", [C]),
        ]
        for i in 0..<c.blocks {
            let p = "blocks.\(i)."
            list += [
                (p + "norm1.weight", [H]), (p + "attn_qkv.weight", [3 * H, H]), (p + "attn_out.weight", [H, H]),
                (p + "norm2.weight", [H]), (p + "mlp.0.weight", [4 * H, H]), (p + "mlp.0.bias", [4 * H]),
                (p + "mlp.2.weight", [H, 4 * H]), (p + "mlp.2.bias", [H]),
                (p + "adaLN_modulation.weight", [6 * H, C]), (p + "adaLN_modulation.bias", [6 * H]),
            ]
        }
        list += [
            ("output_layer.norm_final.weight", [H]), ("output_layer.linear.weight", [V, H]),
            ("output_layer.linear.bias", [V]), ("output_layer.adaLN_modulation.weight", [2 * H, C]),
            ("output_layer.adaLN_modulation.bias", [2 * H]),
        ]
        var offset = 0
        var entries: [Entry] = []
        var index: [String: Int] = [:]
        for (name, shape) in list {
            index[name] = entries.count
            entries.append(Entry(name: name, shape: shape, offset: offset))
            // Keep every tensor 16-float aligned so SIMD loads of a row start on a cache line.
            offset += (shape.reduce(1, *) + 15) / 16 * 16
        }
        self.entries = entries
        self.count = offset
        self.index = index
    }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The reference also stores this buffer; loaders accept and ignore it.
    public static let rotaryBufferName = "rotary_emb.inv_freq"

    /// Number of trainable parameters (the sum of shapes, without alignment padding).
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.count } }
}

/// Parameter storage: the table plus one flat buffer (weights, or gradients, or Adam moments).
public final class ParameterStore {
    public let table: ParameterTable
    public let buffer: FloatBuffer

    public init(table: ParameterTable) {
        self.table = table
        buffer = FloatBuffer(count: table.count)
    }

    /// Pointer to the named tensor. Names are internal constants, so a miss is a bug.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let e = table.entry(name) else { preconditionFailure("no parameter named \(name)") }
        return buffer.pointer + e.offset
    }

    public func values(_ name: String) -> [Float] {
        let e = table.entry(name)!
        return Array(UnsafeBufferPointer(start: buffer.pointer + e.offset, count: e.count))
    }

    public func copy(from other: ParameterStore) {
        precondition(other.table.count == table.count, "parameter tables differ")
        buffer.pointer.update(from: other.buffer.pointer, count: table.count)
    }
}
