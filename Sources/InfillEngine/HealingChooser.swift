import SEDDKernels
import SEDDModel
import Tokenizers

/// Chooses the tokens that carry healed holes' required bytes.
///
/// The model is asked once for the whole request, with every hole masked at t = 1: with the absorbing
/// graph that is the sampler's first step, whose rows the engine hands over (`choose(tokens:holes:
/// rows:)`), so healing runs no pass of its own; `choose(tokens:holes:workspace:)` runs that pass
/// itself, with the output head only at the edge positions that heal (the oracle, and for callers
/// without a sampler run). For the absorbing graph the log-score at a masked position
/// ranks tokens as p0(token | context) (spec 9.1), so each edge gets the model's best token whose
/// bytes are consistent with its required bytes. That token usually covers the partial word, and may
/// extend it (`fo|` becomes ` foo`); when it covers only part, the rest of the bytes is fixed with the
/// tokenizer's own encoding of them, without further passes: those bytes are the user's text, there
/// is nothing left to choose, and a pass per token would make latency grow with the word's length.
///
/// A uniform-graph model has no mask to ask with; there the required bytes' own encoding is used.
struct HealingChooser {
    let network: SEDDNetwork
    let tokenizer: any Tokenizer
    /// Bytes of every ordinary id (special tokens and ids past the model's tokens are empty: never chosen).
    let tokenBytes: [[UInt8]]

    /// One hole to heal: its positions in the window and the bytes its edges must carry.
    struct Edge {
        var hole: Range<Int>
        var healing: HoleHealing
    }

    /// Fixes positions at the healed edges of `holes` in `tokens` (mask ids inside the holes); returns
    /// the positions fixed and the forward passes run (0 or 1). Every hole keeps a free position.
    func choose(tokens: inout [Int], holes: [Edge], workspace ws: ForwardWorkspace) -> (positions: [Int], forwardPasses: Int) {
        let wanted = Self.healing(holes)
        guard !wanted.isEmpty else { return ([], 0) }
        // The edge rows the model is asked about, in window order.
        var asked: [Int] = []
        for edge in wanted {
            if !edge.healing.requiredStart.isEmpty { asked.append(edge.hole.lowerBound) }
            if !edge.healing.requiredEnd.isEmpty { asked.append(edge.hole.upperBound - 1) }
        }
        asked.sort()
        guard network.config.graph == .absorb else { return (fix(tokens: &tokens, edges: wanted, rows: { _ in nil }), 0) }
        let logits = runPass(tokens: tokens, rows: asked, ws: ws), V = network.config.vocabularySize
        let positions = fix(tokens: &tokens, edges: wanted, rows: { p in asked.firstIndex(of: p).map { logits + $0 * V } })
        return (positions, 1)
    }

    /// `choose` with the model's rows already at hand: `rows(position)` is a row ranking the tokens at
    /// that edge position (log-scores or log-probabilities) from a pass with every hole masked at t = 1.
    func choose(tokens: inout [Int], holes: [Edge], rows: (Int) -> UnsafePointer<Float>?) -> [Int] {
        fix(tokens: &tokens, edges: Self.healing(holes), rows: rows)
    }

    /// The holes with something to heal and a position left free.
    static func healing(_ holes: [Edge]) -> [Edge] {
        holes.filter { $0.healing != HoleHealing() && $0.hole.count >= 2 }
    }

    /// Writes the healed edges' tokens into `tokens`; returns the positions written. Where `rows` has
    /// no row (a uniform-graph model) the required bytes' own encoding is used.
    private func fix(tokens: inout [Int], edges wanted: [Edge], rows: (Int) -> UnsafePointer<Float>?) -> [Int] {
        var fixed: [Int] = []
        for edge in wanted {
            var low = edge.hole.lowerBound, high = edge.hole.upperBound - 1
            let start = edge.healing.requiredStart[...]
            if !start.isEmpty {
                let first = rows(low).flatMap { best(in: $0, allowed: { TokenHealing.consistentStart($0, start) }) }
                for id in covering(start, first: first, fromStart: true) where low < high {
                    tokens[low] = id
                    fixed.append(low)
                    low += 1
                }
            }
            let end = edge.healing.requiredEnd[...]
            if !end.isEmpty {
                let last = rows(high).flatMap { best(in: $0, allowed: { TokenHealing.consistentEnd($0, end) }) }
                for id in covering(end, first: last, fromStart: false) where low < high {
                    tokens[high] = id
                    fixed.append(high)
                    high -= 1
                }
            }
        }
        return fixed
    }

    /// Tokens that carry `bytes`, from the edge inward: the chosen token (when there is one), then the
    /// tokenizer's encoding of whatever it left uncovered. For an end edge the list runs from the last
    /// token backwards.
    private func covering(_ bytes: ArraySlice<UInt8>, first: Int?, fromStart: Bool) -> [Int] {
        guard let first else {
            let ids = encode(bytes)
            return fromStart ? ids : ids.reversed()
        }
        let covered = min(bytes.count, tokenBytes[first].count)
        let rest = fromStart ? bytes.dropFirst(covered) : bytes.dropLast(covered)
        guard !rest.isEmpty else { return [first] }
        let ids = encode(rest)
        return [first] + (fromStart ? ids : ids.reversed())
    }

    /// The tokenizer's encoding of `bytes`; when they are not whole UTF-8 (a chosen token can end inside
    /// a character), the longest token at each point instead, so the bytes are carried exactly.
    private func encode(_ bytes: ArraySlice<UInt8>) -> [Int] {
        let ids = tokenizer.encode(String(decoding: bytes, as: UTF8.self))
        if tokenizer.decodeBytes(ids)[...] == bytes { return ids }
        var out: [Int] = []
        var rest = bytes
        while !rest.isEmpty {
            guard let id = tokenBytes.indices.filter({ !tokenBytes[$0].isEmpty && rest.starts(with: tokenBytes[$0]) })
                .max(by: { tokenBytes[$0].count < tokenBytes[$1].count })
            else { break }
            out.append(id)
            rest = rest.dropFirst(tokenBytes[id].count)
        }
        return out
    }

    /// One forward pass with the head on `rows` (positions of batch row 0); the log-scores stay in
    /// `ws.logits`, one row per asked position in order.
    private func runPass(tokens: [Int], rows: [Int], ws: ForwardWorkspace) -> UnsafePointer<Float> {
        let config = network.config
        let L = ws.length
        precondition(tokens.count == L, "the window must match the workspace")
        for b in 0..<ws.batch {
            for l in 0..<L { ws.ids[b * L + l] = Int32(tokens[l]) }
            ws.sigma[b] = NoiseSchedule(config: config).total(1)
        }
        ws.setHeadRows(rows)
        network.forward(ws)
        return UnsafePointer(ws.logits.pointer)
    }

    /// The allowed token with the highest score in `scores`.
    private func best(in scores: UnsafePointer<Float>, allowed: ([UInt8]) -> Bool) -> Int? {
        var bestID: Int?
        var bestValue = -Float.infinity
        for id in tokenBytes.indices where scores[id] > bestValue && allowed(tokenBytes[id]) {
            bestValue = scores[id]
            bestID = id
        }
        return bestID
    }

    /// Byte table for a tokenizer and model: specials and out-of-range ids get no bytes.
    static func tokenBytes(tokenizer: any Tokenizer, modelTokens: Int) -> [[UInt8]] {
        let specials = Set(CodeLanguages.specialTokenIDs(tokenizer).values)
        return (0..<min(tokenizer.vocabularySize, modelTokens)).map { specials.contains($0) ? [] : tokenizer.tokenBytes($0) }
    }
}
