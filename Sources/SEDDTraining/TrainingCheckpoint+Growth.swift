import SEDDModel

extension TrainingCheckpoint {
    /// The checkpoint of the same run with its network deepened (`DepthGrowth`): the weights and their
    /// average gain identity blocks; Adam's second moments copy the last block's, so the new weights'
    /// first updates have the size of their neighbours' rather than the 3x of a cold start at this
    /// step count (the bias correction is long gone); the first moments start at zero, no direction
    /// yet. Counters, data position and generator state are unchanged: the run goes on where it was.
    public func grown(by growth: DepthGrowth) throws(TrainingError) -> TrainingCheckpoint {
        let n = growth.oldTable.count
        guard parameters.count == n, ema.count == n, adamM.count == n, adamV.count == n else {
            throw .checkpoint(path: source, reason: "holds \(parameters.count) parameters, the model's config \(n)")
        }
        var c = self
        c.parameters = growth.grow(parameters, newBlocks: .identityCopies)
        c.ema = growth.grow(ema, newBlocks: .identityCopies)
        c.adamM = growth.grow(adamM, newBlocks: .zeros)
        c.adamV = growth.grow(adamV, newBlocks: .copies)
        return c
    }
}
