import SEDDKernels

/// The network's matrix-product weights in bf16 (`PackedBF16Weights`: plain and AMX-blocked), built
/// from the fp32 parameters. The fp32 store stays the master copy (the optimizer updates it; the
/// embedding, adaLN, LayerNorm weights and biases are only ever read from it).
public final class NetworkBF16Weights {
    public struct Block {
        public let qkv: PackedBF16Weights
        public let attnOut: PackedBF16Weights
        public let mlpIn: PackedBF16Weights
        public let mlpOut: PackedBF16Weights
    }

    public let blocks: [Block]
    public let head: PackedBF16Weights

    init(config c: SEDDConfig) {
        let H = c.hiddenSize
        blocks = (0..<c.blocks).map { _ in
            Block(
                qkv: PackedBF16Weights(N: 3 * H, K: H), attnOut: PackedBF16Weights(N: H, K: H),
                mlpIn: PackedBF16Weights(N: 4 * H, K: H), mlpOut: PackedBF16Weights(N: H, K: 4 * H))
        }
        head = PackedBF16Weights(N: c.vocabularySize, K: H)
    }

    /// Rounds every product weight of `parameters` to bf16 and repacks it.
    func refresh(from p: ParameterStore) {
        for (i, b) in blocks.enumerated() {
            let pre = "blocks.\(i)."
            b.qkv.refresh(from: p.pointer(pre + "attn_qkv.weight"))
            b.attnOut.refresh(from: p.pointer(pre + "attn_out.weight"))
            b.mlpIn.refresh(from: p.pointer(pre + "mlp.0.weight"))
            b.mlpOut.refresh(from: p.pointer(pre + "mlp.2.weight"))
        }
        head.refresh(from: p.pointer("output_layer.linear.weight"))
    }

    /// Bytes held by every copy.
    public var byteCount: Int {
        blocks.reduce(head.byteCount) { $0 + $1.qkv.byteCount + $1.attnOut.byteCount + $1.mlpIn.byteCount + $1.mlpOut.byteCount }
    }
}
