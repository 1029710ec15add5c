extension InfillEngine {
    /// The hole, in tokens, that holds exactly `text` between `prefix` and `suffix` as the engine lays
    /// a request out (with `healEdges`): healing moves the word piece cut by the hole's edge from the
    /// context into the hole, so the hole must hold that piece and `text` encoded as one (`gracefulSh|utdown()`
    /// needs the tokens of ` gracefulShutdown()`, not those of `utdown()`). What the benchmark's hole
    /// "sized to the true span" means in the engine's frame.
    ///
    /// Which pieces heal depends on the hole's size (a hole of one token heals nothing), so the size is
    /// the fixed point of "heal with n, count the tokens": it settles in a step or two.
    public func holeTokens(holding text: String, after prefix: String, before suffix: String) -> Int {
        var size = max(1, tokenizer.encode(text).count)
        for _ in 0..<4 {
            let healing = TokenHealing.heal(segments: [prefix, suffix], holeTokens: [size]).healing[0]
            let held = healing.requiredStart + Array(text.utf8) + healing.requiredEnd
            let next = max(1, tokenizer.encode(String(decoding: held, as: UTF8.self)).count)
            if next == size { break }
            size = next
        }
        return size
    }
}
