import SEDDKernels
import SEDDModel
import Tokenizers

/// Chooses the tokens that carry healed holes' required bytes.
///
/// One forward pass for the whole request: every hole is masked at t = 1, and the output head runs
/// only at the edge positions that heal. For the absorbing graph the log-score at a masked position
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
        let wanted = holes.filter { $0.healing != HoleHealing() && $0.hole.count >= 2 }
        guard !wanted.isEmpty else { return ([], 0) }
        // The edge rows the model is asked about, in window order.
        var asked: [Int] = []
        for edge in wanted {
            if !edge.healing.requiredStart.isEmpty { asked.append(edge.hole.lowerBound) }
            if !edge.healing.requiredEnd.isEmpty { asked.append(edge.hole.upperBound - 1) }
        }
        asked.sort()
        let ranked = network.config.graph == .absorb ? runPass(tokens: tokens, rows: asked, ws: ws) : nil

        var fixed: [Int] = []
        for edge in wanted {
            var low = edge.hole.lowerBound, high = edge.hole.upperBound - 1
            let start = edge.healing.requiredStart[...]
            if !start.isEmpty {
                let first = ranked.flatMap { best(in: $0, row: asked.firstIndex(of: low)!, allowed: { TokenHealing.consistentStart($0, start) }) }
                for id in covering(start, first: first, fromStart: true) where low < high {
                    tokens[low] = id
                    fixed.append(low)
                    low += 1
                }
            }
            let end = edge.healing.requiredEnd[...]
            if !end.isEmpty {
                let last = ranked.flatMap { best(in: $0, row: asked.firstIndex(of: high)!, allowed: { TokenHealing.consistentEnd($0, end) }) }
                for id in covering(end, first: last, fromStart: false) where low < high {
                    tokens[high] = id
                    fixed.append(high)
                    high -= 1
                }
            }
        }
        return (fixed, ranked == nil ? 0 : 1)
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

    /// The allowed token with the highest log-score in head row `row`.
    private func best(in logits: UnsafePointer<Float>, row: Int, allowed: ([UInt8]) -> Bool) -> Int? {
        let scores = logits + row * network.config.vocabularySize
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
