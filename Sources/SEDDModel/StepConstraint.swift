/// A rule a sampling run keeps that the model does not know: which tokens a position may take, given
/// what the run has revealed so far. The sampler asks it to `prepare` from the current tokens before
/// each step's rows, then lets it `adjust` each position's log-scores (set an id to minus infinity
/// to forbid it) before that position's probabilities are computed.
public protocol StepConstraint: AnyObject {
    /// Reads the current tokens (`batch * length`, the mask where undecided) before a step.
    func prepare(x: UnsafePointer<Int32>)
    /// Changes the log-scores of flat position `row` (batch row * length + position). Called in
    /// parallel, one position per call; it must only read what `prepare` stored.
    func adjust(row: Int, logScores: UnsafeMutablePointer<Float>)
}
