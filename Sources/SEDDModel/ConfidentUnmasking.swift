import SEDDKernels

/// How a sampling step picks which masked positions to reveal (absorbing graph).
public enum Unmasking: String, Sendable, CaseIterable {
    /// The reference: every masked position reveals independently, with its step's probability.
    case random
    /// As many positions as the reference would reveal on average, the model's most confident first
    /// (the likeliest token's share), each taking a token drawn from its tempered row. Context-adjacent
    /// positions, which the model is surest of, settle first and the rest are then decided with them
    /// in view: closer to how a left-to-right editor completion reads. Known weakness (spec 9.2, MDLM
    /// #35): on long free text it repeats itself; for infill spans it is measured in
    /// docs/default-model.md.
    case confident
}

/// The per-step bookkeeping of `Unmasking.confident`: each masked row proposes a token, its reveal
/// probability and its confidence (in parallel, each row writing its own slot); then each batch row
/// reveals its expected count of positions, stochastically rounded, most confident first.
final class ConfidentUnmasking {
    let batch: Int, length: Int
    let confidence: FloatBuffer
    private let revealProbability: FloatBuffer
    private let token: IntBuffer
    private var masked: [[Int]]

    init(batch: Int, length: Int) {
        self.batch = batch
        self.length = length
        confidence = FloatBuffer(count: batch * length)
        revealProbability = FloatBuffer(count: batch * length)
        token = IntBuffer(count: batch * length)
        masked = Array(repeating: [], count: batch)
    }

    /// Records the step's masked positions, before the step's pass.
    func begin(x: UnsafePointer<Int32>, mask: Int32) {
        for b in 0..<batch { masked[b] = (0..<length).filter { x[b * length + $0] == mask }.map { b * length + $0 } }
    }

    /// Row r's proposal from its step row `probs[0..<count]` (the mask last when it may stay masked).
    func propose(row r: Int, probs: UnsafePointer<Float>, count: Int, mask: Int, uniform: Double) {
        var total = 0.0
        for j in 0..<count where probs[j] > 0 { total += Double(probs[j]) }
        let stay = count > mask && total > 0 ? Double(max(probs[mask], 0)) / total : 0
        revealProbability[r] = Float(1 - stay)
        token.pointer[r] = Int32(Categorical.inverseCDFChunked(probs, count: min(count, mask), uniform: uniform))
    }

    /// Reveals, per batch row, round(sum of reveal probabilities) positions (rounded up with
    /// probability of the fraction, drawn from `uniform(b)`), the most confident first (ties: the
    /// earlier position).
    func reveal(into x: UnsafeMutablePointer<Int32>, uniform: (Int) -> Double) {
        for b in 0..<batch where !masked[b].isEmpty {
            let expected = masked[b].reduce(0.0) { $0 + Double(revealProbability[$1]) }
            let count = min(masked[b].count, Int(expected + uniform(b)))
            guard count > 0 else { continue }
            let chosen = masked[b].sorted { confidence[$0] != confidence[$1] ? confidence[$0] > confidence[$1] : $0 < $1 }.prefix(count)
            for r in chosen { x[r] = token.pointer[r] }
        }
    }
}
