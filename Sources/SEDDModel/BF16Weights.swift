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

    var all: [PackedBF16Weights] { blocks.flatMap { [$0.qkv, $0.attnOut, $0.mlpIn, $0.mlpOut] } + [head] }

    /// Rounds every product weight of `parameters` to bf16 and, if `pack`, repacks it.
    func refresh(from p: ParameterStore, pack: Bool) {
        for (i, b) in blocks.enumerated() {
            let pre = "blocks.\(i)."
            b.qkv.refresh(from: p.pointer(pre + "attn_qkv.weight"), pack: pack)
            b.attnOut.refresh(from: p.pointer(pre + "attn_out.weight"), pack: pack)
            b.mlpIn.refresh(from: p.pointer(pre + "mlp.0.weight"), pack: pack)
            b.mlpOut.refresh(from: p.pointer(pre + "mlp.2.weight"), pack: pack)
        }
        head.refresh(from: p.pointer("output_layer.linear.weight"), pack: pack)
    }

    /// Brings every blocked copy up to date with its plain one.
    func ensurePacked() { for w in all { w.ensurePacked() } }

    /// Bytes held by every copy.
    public var byteCount: Int {
        blocks.reduce(head.byteCount) { $0 + $1.qkv.byteCount + $1.attnOut.byteCount + $1.mlpIn.byteCount + $1.mlpOut.byteCount }
    }
}
