import SEDDModel

/// Keeps each candidate's padding where training puts it: one run at the end of a hole, after a fill
/// of at least one token (`BlockPacking`: the middle is never empty, the pads follow it). Without
/// this, likeliest-first decoding reveals the surest positions first, which are the pads at a
/// hole's end, and the run can grow back to the hole's start: an empty fill, the editor's
/// non-answer; or a pad lands between two pieces of text, which the engine would glue together.
///
/// Before each step (`StepConstraint`): in every hole, the positions up to its last revealed text
/// token, and its first position that healing does not hold, may not become padding. After each
/// step (`settle`): padding revealed before text (the same step revealed both) is masked again, to
/// be drawn once more; once padding follows the last text, the hole's later masked positions become
/// padding too.
/// Positions `healed` holds are the user's bytes: they count as neither text nor padding, so a fill
/// always brings at least one token of its own (healed bytes alone would return an empty fill).
final class PaddingRun: StepConstraint {
    let padding: Int32
    let mask: Int32
    let holes: [Range<Int>]
    let batch: Int, length: Int
    /// Window positions whose tokens healing chose (set after the first step).
    var healed: Set<Int> = []
    /// Per (batch row, hole): the last position that may not be padding this step, or -1.
    private var noPaddingThrough: [Int]

    init(padding: Int, mask: Int, holes: [Range<Int>], batch: Int, length: Int) {
        self.padding = Int32(padding)
        self.mask = Int32(mask)
        self.holes = holes
        self.batch = batch
        self.length = length
        noPaddingThrough = Array(repeating: -1, count: batch * holes.count)
    }

    /// The hole's last position holding text the run revealed, or nil.
    private func lastText(_ x: UnsafePointer<Int32>, row b: Int, hole: Range<Int>) -> Int? {
        hole.last { p in
            let id = x[b * length + p]
            return id != mask && id != padding && !healed.contains(p)
        }
    }

    func prepare(x: UnsafePointer<Int32>) {
        for b in 0..<batch {
            for (h, hole) in holes.enumerated() {
                let first = hole.first { !healed.contains($0) } ?? -1
                noPaddingThrough[b * holes.count + h] = max(first, lastText(x, row: b, hole: hole) ?? -1)
            }
        }
    }

    func adjust(row: Int, logScores: UnsafeMutablePointer<Float>) {
        let b = row / length, p = row % length
        guard let h = holes.firstIndex(where: { $0.contains(p) }) else { return }
        if p <= noPaddingThrough[b * holes.count + h] { logScores[Int(padding)] = -.infinity }
    }

    /// Restores the one-run shape after a step (see the type's comment).
    func settle(_ x: UnsafeMutablePointer<Int32>) {
        for b in 0..<batch {
            for hole in holes {
                let text = lastText(x, row: b, hole: hole) ?? (hole.lowerBound - 1)
                var runStarted = false
                for p in hole where !healed.contains(p) {
                    let i = b * length + p
                    if p < text {
                        if x[i] == padding { x[i] = mask }
                    } else if p > text {
                        if x[i] == padding { runStarted = true } else if runStarted && x[i] == mask { x[i] = padding }
                    }
                }
            }
        }
    }
}
