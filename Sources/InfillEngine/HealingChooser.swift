import SEDDKernels
import SEDDModel
import Tokenizers

/// Chooses the tokens that carry a healed hole's required bytes.
///
/// For each position from the hole's start (or end) inward, one forward pass with the rest of the
/// hole masked at t = 1 gives the model's preference (for the absorbing graph the log-score at a
/// masked position ranks tokens as p0(token | context), spec 9.1); the best token whose bytes are
/// consistent with the required bytes is fixed, and the pass repeats until the bytes are covered.
/// Usually one pass per edge: a single token covers a partial word.
///
/// A uniform-graph model has no mask to ask with; there the required bytes' own encoding is used.
struct HealingChooser {
    let network: SEDDNetwork
    let tokenizer: any Tokenizer
    /// Bytes of every ordinary id (special tokens and ids past the model's tokens are empty: never chosen).
    let tokenBytes: [[UInt8]]

    /// Fixes positions at the edges of `hole` in `tokens` (mask ids inside the hole); returns the
    /// positions fixed. At least one hole position is always left free.
    func choose(
        tokens: inout [Int], hole: Range<Int>, healing: HoleHealing, workspace ws: ForwardWorkspace
    ) -> [Int] {
        var fixed: [Int] = []
        var low = hole.lowerBound, high = hole.upperBound - 1
        var start = healing.requiredStart[...]
        while !start.isEmpty && low < high {
            guard let id = best(at: low, tokens: tokens, ws: ws, allowed: { TokenHealing.consistentStart($0, start) })
                ?? fallback(start, fromStart: true)
            else { break }
            tokens[low] = id
            fixed.append(low)
            start = start.dropFirst(min(start.count, tokenBytes[id].count))
            low += 1
        }
        var end = healing.requiredEnd[...]
        while !end.isEmpty && low < high {
            guard let id = best(at: high, tokens: tokens, ws: ws, allowed: { TokenHealing.consistentEnd($0, end) })
                ?? fallback(end, fromStart: false)
            else { break }
            tokens[high] = id
            fixed.append(high)
            end = end.dropLast(min(end.count, tokenBytes[id].count))
            high -= 1
        }
        return fixed
    }

    /// The allowed token with the highest log-score at `position`, from one forward pass (batch row 0).
    private func best(at position: Int, tokens: [Int], ws: ForwardWorkspace, allowed: ([UInt8]) -> Bool) -> Int? {
        let config = network.config
        guard config.graph == .absorb else { return nil }
        let L = ws.length, V = config.vocabularySize
        precondition(tokens.count == L, "the window must match the workspace")
        for b in 0..<ws.batch {
            for l in 0..<L { ws.ids[b * L + l] = Int32(tokens[l]) }
            ws.sigma[b] = NoiseSchedule(config: config).total(1)
        }
        ws.setHeadRows([position])
        network.forward(ws)
        let logits = ws.logits.pointer
        var bestID: Int?
        var bestValue = -Float.infinity
        for id in tokenBytes.indices where logits[id] > bestValue && allowed(tokenBytes[id]) {
            bestValue = logits[id]
            bestID = id
        }
        return bestID
    }

    /// The first (or last) token of the required bytes' own encoding.
    private func fallback(_ bytes: ArraySlice<UInt8>, fromStart: Bool) -> Int? {
        let ids = tokenizer.encode(String(decoding: bytes, as: UTF8.self))
        return fromStart ? ids.first : ids.last
    }

    /// Byte table for a tokenizer and model: specials and out-of-range ids get no bytes.
    static func tokenBytes(tokenizer: any Tokenizer, modelTokens: Int) -> [[UInt8]] {
        let specials = Set(CodeLanguages.specialTokenIDs(tokenizer).values)
        return (0..<min(tokenizer.vocabularySize, modelTokens)).map { specials.contains($0) ? [] : tokenizer.tokenBytes($0) }
    }
}
