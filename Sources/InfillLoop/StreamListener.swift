import CLibUV

/// A listening Unix or TCP socket. Every accepted client becomes a `LoopConnection` handed to
/// `onConnection`, which installs its callbacks before the first read.
final class StreamListener: LibUVHandle, StopParticipant {
    static let backlog: Int32 = 128

    let kind: ConnectionKind
    private(set) var boundAddress: ListenAddress
    private var onConnection: ((LoopConnection) -> Void)?
    private var socketFile: UnixSocketFile?

    private init(
        core: LoopCore, kind: ConnectionKind, address: ListenAddress, byteCount: Int,
        onConnection: @escaping (LoopConnection) -> Void
    ) {
        self.kind = kind
        self.boundAddress = address
        self.onConnection = onConnection
        super.init(core: core, byteCount: byteCount)
    }

    private var stream: UnsafeMutablePointer<uv_stream_t> { pointer(as: uv_stream_t.self) }

    static func listenUnix(core: LoopCore, path: String, onConnection: @escaping (LoopConnection) -> Void)
        throws(LoopError) -> StreamListener
    {
        var file = UnixSocketFile(path: path)
        try file.clearStaleSocket()
        let listener = StreamListener(
            core: core, kind: .unix, address: .unix(path: path), byteCount: MemoryLayout<uv_pipe_t>.size,
            onConnection: onConnection)
        let initStatus = uv_pipe_init(core.loop, listener.pointer(as: uv_pipe_t.self), 0)
        guard initStatus == 0 else {
            listener.discardUnadopted()
            throw .libuv(operation: "creating the socket for unix:\(path)", code: initStatus)
        }
        listener.adopt()
        do {
            let bindStatus = uv_pipe_bind(listener.pointer(as: uv_pipe_t.self), path)
            if bindStatus != 0 { throw LoopError.libuv(operation: "binding unix:\(path)", code: bindStatus) }
            try file.secureAfterBind()
            listener.socketFile = file
            try listener.startListening()
        } catch let error as LoopError {
            listener.close()
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        core.register(listener)
        return listener
    }

    static func listenTCP(
        core: LoopCore, host: String, port: Int, allowRemote: Bool,
        onConnection: @escaping (LoopConnection) -> Void
    ) throws(LoopError) -> StreamListener {
        let requested = ListenAddress.tcp(host: host, port: port)
        let address = try SocketAddress.resolve(host: host, port: port)
        if !allowRemote && !address.isLoopback { throw .remoteNotAllowed(address: requested.description) }
        let listener = StreamListener(
            core: core, kind: .tcp, address: requested, byteCount: MemoryLayout<uv_tcp_t>.size,
            onConnection: onConnection)
        let initStatus = uv_tcp_init(core.loop, listener.pointer(as: uv_tcp_t.self))
        guard initStatus == 0 else {
            listener.discardUnadopted()
            throw .libuv(operation: "creating the socket for \(requested)", code: initStatus)
        }
        listener.adopt()
        do {
            let bindStatus = address.withSockaddr { uv_tcp_bind(listener.pointer(as: uv_tcp_t.self), $0, 0) }
            if bindStatus != 0 { throw LoopError.libuv(operation: "binding \(requested)", code: bindStatus) }
            try listener.startListening()
        } catch let error as LoopError {
            listener.close()
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        let tcp = listener.pointer(as: uv_tcp_t.self)
        if let bound = SocketAddress.read({ uv_tcp_getsockname(tcp, $0, $1) }) {
            listener.boundAddress = .tcp(host: bound.host, port: bound.port)
        }
        core.register(listener)
        return listener
    }

    private func startListening() throws(LoopError) {
        let status = uv_listen(stream, StreamListener.backlog, connectionArrived)
        if status != 0 { throw .libuv(operation: "listening on \(boundAddress)", code: status) }
    }

    fileprivate func accept(status: Int32) {
        guard status == 0 else {
            core.report("accepting a client on \(boundAddress) failed: \(LoopError.uvMessage(status))")
            return
        }
        let client: StreamEndpoint
        do {
            client = try StreamEndpoint.makeForAccept(core: core, flavor: kind == .unix ? .pipe : .tcp)
        } catch {
            core.report("accepting a client on \(boundAddress) failed: \(error)")
            return
        }
        let acceptStatus = uv_accept(stream, client.stream)
        guard acceptStatus == 0 else {
            client.close()
            core.report("accepting a client on \(boundAddress) failed: \(LoopError.uvMessage(acceptStatus))")
            return
        }
        var peer = boundAddress.description
        if kind == .tcp {
            let tcp = client.pointer(as: uv_tcp_t.self)
            uv_tcp_nodelay(tcp, 1)  // replies are small JSON messages; do not wait to coalesce them
            if let remote = SocketAddress.read({ uv_tcp_getpeername(tcp, $0, $1) }) {
                peer = ListenAddress.tcp(host: remote.host, port: remote.port).description
            }
        }
        let connection = LoopConnection(core: core, kind: kind, peer: peer, source: client, sink: client)
        onConnection?(connection)
        connection.start()
    }

    func closeForStop() { close() }

    override func didClose() {
        // libuv unlinks a bound pipe's path when it closes; this covers the rest (and never removes a
        // socket another process created at the same path in the meantime).
        socketFile?.removeIfOurs()
        onConnection = nil
        core.unregister(self)
    }
}

private func connectionArrived(_ server: UnsafeMutablePointer<uv_stream_t>?, _ status: Int32) {
    LibUVHandle.owner(of: server.map { uvCast($0, to: uv_handle_t.self) }, as: StreamListener.self)
        .accept(status: status)
}
