import SEDDModel

/// What the engine's fills must respect beyond the model: ids no position may become (markup, and
/// the padding when a fill must take its whole hole) and, when the padding may end a fill, where it
/// may stand (`PaddingRun`). One `StepConstraint` for the sampler.
final class FillRules: StepConstraint {
    let excluded: [Int]
    let paddingRun: PaddingRun?

    init(excluded: [Int], paddingRun: PaddingRun?) {
        self.excluded = excluded
        self.paddingRun = paddingRun
    }

    func prepare(x: UnsafePointer<Int32>) { paddingRun?.prepare(x: x) }

    func adjust(row: Int, logScores: UnsafeMutablePointer<Float>) {
        for id in excluded { logScores[id] = -.infinity }
        paddingRun?.adjust(row: row, logScores: logScores)
    }
}
