import SEDDKernels

extension SEDDNetwork {
    /// One forward pass on arrays (allocates a workspace: for tools and tests, not the hot path).
    /// Returns the log-score [B, L, V] flattened.
    public func logScores(ids: [Int], sigma: [Float], batch B: Int, length L: Int) -> [Float] {
        precondition(ids.count == B * L && sigma.count == B, "ids must be [B, L] and sigma [B]")
        let ws = ForwardWorkspace(config: config, batch: B, length: L)
        for (i, t) in ids.enumerated() { ws.ids[i] = Int32(t) }
        for (b, s) in sigma.enumerated() { ws.sigma[b] = s }
        forward(ws)
        return ws.logits.array
    }
}
