/// How a client reached the daemon. (The server room has its own copy; the composition root maps them.)
public enum ConnectionKind: String, Sendable {
    case stdio, unix, tcp
}

/// One client: bytes in through `onData`, bytes out through `write`. Loop thread only.
///
/// Lifecycle: `onData` may fire any number of times, then `onEnd` at most once, when the peer ends its
/// input (end of file; the connection stays writable, so in-flight answers can still go out) or when
/// the connection fails (reset, broken pipe: it is then closed at once). `close()` closes after the
/// pending writes are flushed; after it, neither callback fires again. The callbacks are released when
/// the connection has closed, which breaks any cycle through closures that capture it.
public final class LoopConnection {
    /// Unique per loop, counting from 1.
    public let id: Int
    public let kind: ConnectionKind
    /// For logs: "stdio", "unix:/run/sedd.sock", "tcp:127.0.0.1:51234".
    public let peer: String
    /// Bytes as they arrive, in any chunking.
    public var onData: (([UInt8]) -> Void)?
    /// The peer ended its input or the connection failed. Fires at most once, never after `close()`.
    public var onEnd: (() -> Void)?

    private enum State { case open, draining, closing, closed }
    private var state = State.open
    private var hasEnded = false
    private var isPaused = false
    private let source: ConnectionEndpoint
    private let sink: ConnectionEndpoint
    private var openEndpoints: Int
    private var core: LoopCore?

    init(core: LoopCore, kind: ConnectionKind, peer: String, source: ConnectionEndpoint, sink: ConnectionEndpoint) {
        self.id = core.makeConnectionID()
        self.kind = kind
        self.peer = peer
        self.core = core
        self.source = source
        self.sink = sink
        openEndpoints = source === sink ? 1 : 2
        source.connection = self
        sink.connection = self
        core.register(self)
    }

    /// `true` once `close()` was called or the connection failed: writes are then ignored.
    public var isClosed: Bool { state != .open }

    /// Writes still queued in the kernel's or libuv's buffers (for backpressure decisions and tests).
    public var pendingWriteCount: Int { sink.pendingWriteCount }

    /// Queues bytes after everything written before; a slow reader only makes the queue grow.
    public func write(_ bytes: [UInt8]) {
        guard state == .open else { return }
        sink.write(bytes)
    }

    /// Stops delivering `onData` until `resumeReading()` (input backpressure); bytes wait in the kernel.
    public func pauseReading() {
        guard state == .open, !isPaused else { return }
        isPaused = true
        source.stopReading()
    }

    /// Delivers `onData` again after `pauseReading()`.
    public func resumeReading() {
        guard state == .open, isPaused else { return }
        isPaused = false
        source.startReading()
    }

    /// Closes once every pending write is flushed. Idempotent.
    public func close() {
        guard state == .open else { return }
        state = .draining
        source.stopReading()
        if sink.pendingWriteCount == 0 { closeEndpoints() }
    }

    /// Closes now, dropping pending writes (the loop's stop grace period ran out).
    func forceClose() {
        guard state == .open || state == .draining else { return }
        closeEndpoints()
    }

    /// Starts reading; called once the `onConnection` handler has installed the callbacks.
    func start() {
        guard state == .open, !isPaused else { return }
        source.startReading()
    }

    // MARK: Events from the endpoints

    func endpointRead(_ bytes: [UInt8]) {
        guard state == .open else { return }
        onData?(bytes)
    }

    func endpointReachedEnd() {
        guard state == .open, !hasEnded else { return }
        hasEnded = true
        onEnd?()
    }

    func endpointFailed(operation: String, code: Int32) {
        guard state == .open || state == .draining else { return }
        core?.report("connection \(id) (\(peer)): \(operation) failed: \(LoopError.uvMessage(code)); closing it")
        if state == .open && !hasEnded {
            hasEnded = true
            onEnd?()
        }
        closeEndpoints()
    }

    func endpointDrained() {
        if state == .draining { closeEndpoints() }
    }

    func endpointDidClose(_ endpoint: ConnectionEndpoint) {
        openEndpoints -= 1
        guard openEndpoints == 0 else { return }
        state = .closed
        let core = self.core
        self.core = nil
        core?.connectionDidClose(self)
    }

    private func closeEndpoints() {
        guard state != .closing && state != .closed else { return }
        state = .closing
        onData = nil
        onEnd = nil
        source.closeEndpoint()
        if sink !== source { sink.closeEndpoint() }
    }
}

/// One side of a connection: a socket, pipe or terminal (reads and writes), or a regular file (one of them).
/// A connection has a source it reads from and a sink it writes to; for sockets they are the same object.
protocol ConnectionEndpoint: AnyObject {
    /// Set by the connection; events go there. Cleared when the endpoint has closed.
    var connection: LoopConnection? { get set }
    /// Starts delivering `endpointRead`, then `endpointReachedEnd` or `endpointFailed`.
    func startReading()
    func stopReading()
    /// Queues bytes; `endpointDrained` follows when no write is pending any more.
    func write(_ bytes: [UInt8])
    var pendingWriteCount: Int { get }
    /// Closes (idempotent); pending writes are dropped. `endpointDidClose` follows, maybe synchronously.
    func closeEndpoint()
}
