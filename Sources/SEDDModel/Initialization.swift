import SEDDKernels

/// The reference's initialisation (spec 1.8): embedding U(-1/sqrt(H), 1/sqrt(H)); every adaLN and
/// the output linear zero; LayerNorm weights one; other Linear weights and biases
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's kaiming_uniform(a=sqrt 5) default).
public enum Initialization {
    public static func initialize(_ store: ParameterStore, config: SEDDConfig, seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        store.buffer.zero()
        for entry in store.table.entries {
            let p = store.buffer.pointer + entry.offset
            let name = entry.name
            if name.contains("adaLN_modulation") || name.hasPrefix("output_layer.linear") {
                continue  // zero
            } else if name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name.hasSuffix("norm_final.weight") {
                p.update(repeating: 1, count: entry.count)
            } else if name == "vocab_embed.embedding" {
                fillUniform(p, entry.count, bound: 1 / Float(config.hiddenSize).squareRoot(), &rng)
            } else {
                // Linear weight [out, in] or its bias [out]: both use fan_in of the weight.
                let fanIn: Int
                if entry.shape.count == 2 {
                    fanIn = entry.shape[1]
                } else {
                    let weightName = String(name.dropLast("bias".count)) + "weight"
                    fanIn = store.table.entry(weightName)!.shape[1]
                }
                fillUniform(p, entry.count, bound: 1 / Float(fanIn).squareRoot(), &rng)
            }
        }
    }

    private static func fillUniform(_ p: UnsafeMutablePointer<Float>, _ n: Int, bound: Float, _ rng: inout SeededRandom) {
        for i in 0..<n { p[i] = (2 * rng.nextFloat() - 1) * bound }
    }
}
