import SEDDKernels
import SEDDModel

/// The scorer's distribution, taken from the sampler's first forward pass instead of a pass of its own.
///
/// `FillScorer` asks the model, at t = 1 with every hole position masked, for log p0(token | context)
/// at each hole position (the absorbing graph's RADD identity, spec 9.1). With the absorbing graph the
/// sampler's first step runs exactly that input: x starts all-mask, the projection writes the context,
/// and sigma is the schedule's total at t = 1. Every candidate sees the same input there, so batch row
/// 0's rows hold the answer for all of them. Keeping the log-softmax of those rows saves the scorer's
/// extra forward pass (one of ten at 8 steps). The same rows choose the tokens of healed hole edges
/// (`HealingChooser`), so healing costs no pass of its own either; healed positions are left out of
/// the score (their bytes were the user's, not the model's).
///
/// The buffer grows to the largest hole seen and is reused; capturing allocates only when it grows.
final class FirstStepLogProbabilities {
    private var buffer = FloatBuffer(count: 0)
    /// Window position -> row in `buffer`, for the positions captured by the last `capture`.
    private var rowOfPosition: [Int: Int] = [:]
    private var vocabulary = 0

    /// Keeps log-softmax over the first `realTokens` ids of batch row 0's head rows of the last forward
    /// pass in `ws` (positions in `ws.headRows` below `ws.length`; logits rows `rowStride` apart).
    func capture(_ ws: ForwardWorkspace, rowStride V: Int, realTokens: Int) {
        let L = ws.length
        let headRows = ws.headRows.pointer
        var rows = 0
        while rows < ws.headRowCount && Int(headRows[rows]) < L { rows += 1 }
        if buffer.count < rows * realTokens { buffer = FloatBuffer(count: rows * realTokens, zeroed: false) }
        vocabulary = realTokens
        rowOfPosition.removeAll(keepingCapacity: true)
        for i in 0..<rows { rowOfPosition[Int(headRows[i])] = i }
        let logits = ws.logits.pointer, out = buffer.pointer
        Parallel.forRange(rows, grain: 4) { range in
            for i in range {
                let src = logits + i * V, dst = out + i * realTokens
                let m = VectorMath.max(src, realTokens)
                for j in 0..<realTokens { dst[j] = src[j] - m }
                let logZ = Float(Foundation.log(FastMath.sumOfExp(dst, count: realTokens)))
                for j in 0..<realTokens { dst[j] -= logZ }
            }
        }
    }

    /// The log p0 row (over the real tokens) at a captured position.
    func row(at position: Int) -> UnsafePointer<Float>? {
        rowOfPosition[position].map { UnsafePointer(buffer.pointer + $0 * vocabulary) }
    }

    /// Whether `position` was a masked (scored) position of the captured pass.
    func contains(_ position: Int) -> Bool { rowOfPosition[position] != nil }

    /// log p0(token) at a captured position; nil for positions not captured or ids past the real tokens.
    func logProbability(of token: Int, at position: Int) -> Double? {
        guard let row = rowOfPosition[position], token >= 0, token < vocabulary else { return nil }
        return Double(buffer[row * vocabulary + token])
    }
}

#if canImport(Glibc)
    import Glibc
#endif
import Foundation
