import CLibUV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a listener is bound to. `bound` differs from `requested` when port 0 asked for a free port, or a
/// host name was resolved.
public struct ListeningSocket: Equatable, Sendable {
    public let requested: ListenAddress
    public let bound: ListenAddress
    /// The TCP port actually bound; `nil` for a Unix socket.
    public var boundPort: Int? {
        if case .tcp(_, let port) = bound { return port }
        return nil
    }
}

/// The daemon's one libuv event loop: stdio, Unix and TCP listeners, timers, signals and mailboxes.
///
/// Threading: create it, set it up and `run()` it on one thread, the loop thread; every method and every
/// callback belongs to that thread, except `stop()` and `Mailbox.post`, which any thread may call.
/// Setting up on one thread and then calling `run()` on another is fine when the hand-over is ordered
/// (e.g. the run thread is started after set-up).
public final class EventLoop {
    let core: LoopCore
    private var signalWatchers: [SignalWatcher] = []

    /// Creates the loop and ignores SIGPIPE for the whole process: a client that goes away mid-write must
    /// surface as an EPIPE error on that connection, never as a signal that kills the daemon.
    public init() throws(LoopError) {
        signal(SIGPIPE, SIG_IGN)
        core = try LoopCore()
    }

    deinit { core.tearDown() }

    /// Non-fatal events worth a log line (a failed accept, a connection reset). Never document text.
    public var onDiagnostic: ((String) -> Void)? {
        get { core.diagnostic }
        set { core.diagnostic = newValue }
    }

    /// How long `stop()` lets connections flush pending writes before closing them anyway.
    public var stopGracePeriodMs: UInt64 {
        get { core.stopGracePeriodMs }
        set { core.stopGracePeriodMs = newValue }
    }

    /// Connections accepted or attached and not yet closed.
    public var openConnectionCount: Int { core.openConnectionCount }

    /// Listens on a Unix socket (mode 0600; a stale socket file is replaced, a live one is an error; the
    /// file is removed on stop) or a TCP address (loopback only unless `allowRemote`; port 0 picks one).
    @discardableResult
    public func listen(
        _ address: ListenAddress, allowRemote: Bool, onConnection: @escaping (LoopConnection) -> Void
    ) throws(LoopError) -> ListeningSocket {
        guard !core.isStopping else { throw .stopped }
        let listener: StreamListener
        switch address {
        case .unix(let path):
            listener = try StreamListener.listenUnix(core: core, path: path, onConnection: onConnection)
        case .tcp(let host, let port):
            listener = try StreamListener.listenTCP(
                core: core, host: host, port: port, allowRemote: allowRemote, onConnection: onConnection)
        }
        return ListeningSocket(requested: address, bound: listener.boundAddress)
    }

    /// Attaches stdin (fd 0) and stdout (fd 1) as one `.stdio` connection; each may be a pipe, a terminal,
    /// a regular file or a socket. `onConnection` runs before this returns; reading starts after it.
    /// When the connection closes, descriptors 0 and 1 are pointed at /dev/null (never left free).
    public func attachStdio(onConnection: @escaping (LoopConnection) -> Void) throws(LoopError) {
        try attach(readFD: 0, writeFD: 1, kind: .stdio, onConnection: onConnection)
    }

    /// Attaches any two descriptors as one connection: what `attachStdio` does with 0 and 1. The
    /// connection takes ownership of both and closes them when it closes (0, 1 and 2 are pointed at
    /// /dev/null instead). The same descriptor twice (a socket) makes one duplex stream. If this throws
    /// because the write side could not be opened, the read side was already taken and is closed.
    public func attach(
        readFD: Int32, writeFD: Int32, kind: ConnectionKind = .stdio,
        onConnection: @escaping (LoopConnection) -> Void
    ) throws(LoopError) {
        guard !core.isStopping else { throw .stopped }
        let (source, sink) = try DescriptorAttachment.endpoints(core: core, readFD: readFD, writeFD: writeFD)
        let peer = readFD == 0 && writeFD == 1 ? "stdio" : "fd:\(readFD)/\(writeFD)"
        let connection = LoopConnection(core: core, kind: kind, peer: peer, source: source, sink: sink)
        onConnection(connection)
        connection.start()
    }

    /// A mailbox for work from other threads (the scheduler's completions). Closed when the loop stops.
    public func makeMailbox() -> Mailbox {
        core.isStopping ? Mailbox() : Mailbox(core: core, closesOnStop: true)
    }

    /// Calls `handler` on the loop thread for SIGINT and SIGTERM (replacing an earlier handler). The
    /// signals no longer kill the process: the handler decides, typically by calling `stop()`.
    public func onSignals(_ handler: @escaping (Int32) -> Void) {
        guard !core.isStopping else { return }
        if signalWatchers.isEmpty {
            for number in [SIGINT, SIGTERM] {
                if let watcher = SignalWatcher(core: core, signal: number, handler: handler) {
                    signalWatchers.append(watcher)
                }
            }
        } else {
            for watcher in signalWatchers { watcher.replaceHandler(handler) }
        }
    }

    /// A timer on the loop thread: first after `ms`, then every `repeatMs` unless that is 0 (one-shot).
    public func addTimer(ms: UInt64, repeatMs: UInt64, _ fire: @escaping () -> Void) -> LoopTimer {
        core.isStopping ? LoopTimer() : LoopTimer(core: core, ms: ms, repeatMs: repeatMs, fire: fire)
    }

    /// Runs the loop on the calling thread. Returns once `stop()` was called and every handle has closed.
    public func run() {
        uv_run(core.loop, UV_RUN_DEFAULT)
    }

    /// Stops the loop, from any thread: listeners close (Unix socket files are removed), then timers,
    /// signal watchers and mailboxes; connections close after flushing their pending writes (at most
    /// `stopGracePeriodMs`). Takes effect on the loop's next iteration; `run()` then returns. Idempotent.
    public func stop() {
        let core = self.core
        core.control.post { core.stopNow() }
    }
}
