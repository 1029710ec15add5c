import SEDDModel

/// Forward workspaces by (batch, length) for the evaluators, whose batches come in a few shapes (the
/// full batch and the tails); past `limit` shapes the pool starts over rather than grow.
final class WorkspacePool {
    private let config: SEDDConfig
    private let limit: Int
    private var workspaces: [Int: ForwardWorkspace] = [:]

    init(config: SEDDConfig, limit: Int) {
        self.config = config
        self.limit = limit
    }

    func workspace(batch B: Int, length L: Int) -> ForwardWorkspace {
        let key = B * 1_000_003 + L
        if let ws = workspaces[key] { return ws }
        if workspaces.count > limit { workspaces.removeAll() }
        let ws = ForwardWorkspace(config: config, batch: B, length: L)
        workspaces[key] = ws
        return ws
    }
}
