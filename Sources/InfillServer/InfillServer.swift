import Dispatch
import InfillProtocol
import InfillScheduler

/// The daemon's protocol logic: one `ServerConnection` per client, sharing one scheduler.
///
/// Everything here runs on the loop thread: the loop calls `open`, `receive` and `endOfInput`, and the
/// scheduler's completions arrive through its `deliver` closure (the loop's mailbox). The server never
/// sees a socket: it is handed `send` and `close` closures.
public final class InfillServer {
    let configuration: ServerConfiguration
    let scheduler: InfillScheduler
    let backendInfo: BackendInfo
    let log: (LogLevel, String) -> Void
    private(set) var connections: [Int: ServerConnection] = [:]
    private let startedAt = DispatchTime.now().uptimeNanoseconds
    /// Jobs submitted and not yet completed, over all connections.
    private var pendingJobs = 0
    private var shutdownCompletion: (() -> Void)?
    private(set) var isShuttingDown = false

    /// Start-up time (process start to ready), measured by the composition root; reported by `sedd/status`.
    public var startupMs: Double?

    /// Called when a stdio client sends `exit` (0 after `shutdown`, else 1) or stdin ends (0, after the
    /// in-flight requests were answered). The root stops the loop and exits with this code.
    public var onExitRequested: ((Int32) -> Void)?

    /// - Parameters:
    ///   - backendInfo: read from the backend by the root before the scheduler's worker starts.
    ///   - log: one line, without a newline; called on the loop thread.
    public init(
        configuration: ServerConfiguration, scheduler: InfillScheduler, backendInfo: BackendInfo,
        log: @escaping (LogLevel, String) -> Void
    ) {
        self.configuration = configuration
        self.scheduler = scheduler
        self.backendInfo = backendInfo
        self.log = log
    }

    /// A client connected. `send` writes bytes to it; `close` closes it (after pending writes).
    /// - Parameter requiresAuth: the listener was started with `--token-file`: the first message must be
    ///   `sedd/authenticate`, anything else closes the connection.
    public func open(
        connectionID: Int, kind: ConnectionKind, requiresAuth: Bool,
        send: @escaping ([UInt8]) -> Void, close: @escaping () -> Void
    ) -> ServerConnection {
        precondition(connections[connectionID] == nil, "connection id \(connectionID) is already open")
        let connection = ServerConnection(
            id: connectionID, kind: kind, requiresAuth: requiresAuth, server: self,
            send: send, close: close)
        connections[connectionID] = connection
        log(.info, "connection \(connectionID) opened (\(kind.rawValue)\(requiresAuth ? ", token required" : ""))")
        return connection
    }

    /// SIGINT/SIGTERM: cancels every queued and running job, lets their RequestCancelled answers go out,
    /// then calls `completion` (the root then stops the scheduler and the loop).
    public func shutdown(completion: @escaping () -> Void) {
        isShuttingDown = true
        shutdownCompletion = completion
        log(.info, "shutting down: cancelling \(pendingJobs) job(s)")
        for connectionID in connections.keys.sorted() {
            scheduler.cancelAll(connection: connectionID, reason: .shuttingDown)
        }
        completeShutdownIfIdle()
    }

    /// Seconds since the server was created, in milliseconds.
    var uptimeMs: Double { Double(DispatchTime.now().uptimeNanoseconds &- startedAt) / 1_000_000 }

    func jobSubmitted() { pendingJobs += 1 }

    func jobFinished() {
        pendingJobs -= 1
        for connectionID in connections.keys.sorted() { connections[connectionID]?.queueHasRoom() }
        completeShutdownIfIdle()
    }

    func connectionClosed(_ connectionID: Int) {
        connections[connectionID] = nil
        log(.info, "connection \(connectionID) closed")
    }

    private func completeShutdownIfIdle() {
        guard isShuttingDown, pendingJobs == 0, let completion = shutdownCompletion else { return }
        shutdownCompletion = nil
        completion()
    }
}
