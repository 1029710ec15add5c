import CLibUV

/// Something the loop closes when it stops (listeners, timers, signal watchers, mailboxes).
protocol StopParticipant: AnyObject {
    func closeForStop()
}

/// The loop's shared state: the `uv_loop_t`, what is open on it, and the stop sequence.
/// Everything here runs on the loop thread, except `control.post`.
final class LoopCore {
    let loop: UnsafeMutablePointer<uv_loop_t>
    /// Cross-thread `stop()` and work deferred to the next loop iteration (so that, for example, a failure
    /// found inside `write` is reported after `write` returns, never re-entrantly).
    private(set) var control: Mailbox!
    private(set) var isStopping = false
    var stopGracePeriodMs: UInt64 = 2000
    var diagnostic: ((String) -> Void)?

    private var participants: [ObjectIdentifier: StopParticipant] = [:]
    private var connections: [Int: LoopConnection] = [:]
    private var nextConnectionID = 1
    private var graceTimer: LoopTimer?

    init() throws(LoopError) {
        loop = .allocate(capacity: 1)
        let status = uv_loop_init(loop)
        guard status == 0 else {
            loop.deallocate()
            throw .libuv(operation: "uv_loop_init", code: status)
        }
        control = Mailbox(core: self, closesOnStop: false)
        guard control.isOpen else {
            uv_loop_close(loop)
            loop.deallocate()
            throw .libuv(operation: "uv_async_init for the loop's control mailbox", code: UV_EMFILE.rawValue)
        }
    }

    func register(_ participant: StopParticipant) {
        participants[ObjectIdentifier(participant)] = participant
    }

    func unregister(_ participant: StopParticipant) {
        participants[ObjectIdentifier(participant)] = nil
    }

    var openConnectionCount: Int { connections.count }

    func makeConnectionID() -> Int {
        defer { nextConnectionID += 1 }
        return nextConnectionID
    }

    func register(_ connection: LoopConnection) {
        connections[connection.id] = connection
    }

    func connectionDidClose(_ connection: LoopConnection) {
        connections[connection.id] = nil
        if isStopping && connections.isEmpty { finishStop() }
    }

    /// Runs `work` on the loop thread after the current callback returns.
    func deferToNextIteration(_ work: @escaping () -> Void) {
        if !control.post(work) { work() }
    }

    func report(_ message: String) { diagnostic?(message) }

    /// Closes everything: listeners, timers, signals and mailboxes at once; connections after their
    /// pending writes flushed, or by force once the grace period is over. `uv_run` returns when all closed.
    func stopNow() {
        guard !isStopping else { return }
        isStopping = true
        for participant in Array(participants.values) { participant.closeForStop() }
        let open = Array(connections.values)
        for connection in open { connection.close() }
        if connections.isEmpty {
            finishStop()
        } else {
            graceTimer = LoopTimer(core: self, ms: stopGracePeriodMs, repeatMs: 0) { [weak self] in
                self?.forceCloseConnections()
            }
        }
    }

    /// Drops pending writes of every open connection and closes it now.
    func forceCloseConnections() {
        for connection in Array(connections.values) { connection.forceClose() }
    }

    private func finishStop() {
        graceTimer?.cancel()
        graceTimer = nil
        control.close()
    }

    /// Called once, when the owning `EventLoop` goes away: closes what is left, lets libuv run the close
    /// callbacks, and releases the loop.
    func tearDown() {
        stopNow()
        forceCloseConnections()
        finishStop()
        uv_run(loop, UV_RUN_DEFAULT)
        let status = uv_loop_close(loop)
        assert(status == 0, "libuv handles were still open at teardown: \(LoopError.uvMessage(status))")
        if status == 0 { loop.deallocate() }
    }
}
