import CLibUV

/// A connection side on a libuv stream: an accepted Unix or TCP socket, or a pipe, terminal or socket
/// opened from a descriptor (stdio). Reads into one reusable buffer; every write is one `uv_write` whose
/// request and bytes share one allocation, freed in the write callback (which libuv also calls, with
/// `UV_ECANCELED`, for writes still queued when the handle closes).
final class StreamEndpoint: LibUVHandle, ConnectionEndpoint {
    enum Flavor { case pipe, tcp, tty }

    static let readBufferBytes = 64 * 1024
    /// `uv_buf_t.len` is built from a 32-bit count; larger writes are split.
    private static let largestWriteChunk = 1 << 30
    private static let requestHeaderBytes = (MemoryLayout<uv_write_t>.size + 15) & ~15

    let flavor: Flavor
    var connection: LoopConnection?
    /// The descriptor this stream was opened on, when it came from outside (stdio) and libuv took it;
    /// nil for accepted sockets and for a failed open (the descriptor then stays the caller's).
    private var adoptedDescriptor: Int32?
    /// Whether libuv drives `adoptedDescriptor` itself. `uv_tty_init` may instead reopen the terminal
    /// on a new descriptor (so non-blocking mode does not leak to other processes sharing it) and dup2
    /// that over the original, which then stays ours to give back.
    private var libuvUsesAdoptedDescriptor = true
    private var readBuffer: UnsafeMutableRawPointer?
    private(set) var pendingWriteCount = 0

    private init(core: LoopCore, flavor: Flavor) {
        self.flavor = flavor
        let size: Int
        switch flavor {
        case .pipe: size = MemoryLayout<uv_pipe_t>.size
        case .tcp: size = MemoryLayout<uv_tcp_t>.size
        case .tty: size = MemoryLayout<uv_tty_t>.size
        }
        super.init(core: core, byteCount: size)
    }

    var stream: UnsafeMutablePointer<uv_stream_t> { pointer(as: uv_stream_t.self) }

    /// A fresh, unconnected stream for `uv_accept`.
    static func makeForAccept(core: LoopCore, flavor: Flavor) throws(LoopError) -> StreamEndpoint {
        let endpoint = StreamEndpoint(core: core, flavor: flavor)
        let status: Int32
        switch flavor {
        case .pipe: status = uv_pipe_init(core.loop, endpoint.pointer(as: uv_pipe_t.self), 0)
        case .tcp: status = uv_tcp_init(core.loop, endpoint.pointer(as: uv_tcp_t.self))
        case .tty: preconditionFailure("a terminal cannot be accepted")
        }
        guard status == 0 else {
            endpoint.discardUnadopted()
            throw .libuv(operation: "initialising a client stream", code: status)
        }
        endpoint.adopt()
        return endpoint
    }

    /// A stream over an existing descriptor of the given flavor (see `StdioKind`).
    static func open(core: LoopCore, descriptor fd: Int32, flavor: Flavor, readable: Bool) throws(LoopError)
        -> StreamEndpoint
    {
        let endpoint = StreamEndpoint(core: core, flavor: flavor)
        var status: Int32
        let what: String
        switch flavor {
        case .pipe:
            what = "uv_pipe_open on descriptor \(fd)"
            status = uv_pipe_init(core.loop, endpoint.pointer(as: uv_pipe_t.self), 0)
            if status == 0 {
                endpoint.adopt()
                status = uv_pipe_open(endpoint.pointer(as: uv_pipe_t.self), fd)
            }
        case .tcp:
            what = "uv_tcp_open on descriptor \(fd)"
            status = uv_tcp_init(core.loop, endpoint.pointer(as: uv_tcp_t.self))
            if status == 0 {
                endpoint.adopt()
                status = uv_tcp_open(endpoint.pointer(as: uv_tcp_t.self), uv_os_sock_t(fd))
            }
        case .tty:
            what = "uv_tty_init on descriptor \(fd)"
            status = uv_tty_init(core.loop, endpoint.pointer(as: uv_tty_t.self), fd, readable ? 1 : 0)
            if status == 0 { endpoint.adopt() }
        }
        guard status == 0 else {
            if endpoint.isAdopted { endpoint.close() } else { endpoint.discardUnadopted() }
            throw .libuv(operation: what, code: status)
        }
        endpoint.adoptedDescriptor = fd
        var used = uv_os_fd_t(-1)
        if uv_fileno(endpoint.handle, &used) == 0 { endpoint.libuvUsesAdoptedDescriptor = used == fd }
        return endpoint
    }

    func startReading() {
        guard !isClosing else { return }
        if readBuffer == nil { readBuffer = .allocate(byteCount: StreamEndpoint.readBufferBytes, alignment: 16) }
        let status = uv_read_start(stream, streamAllocate, streamRead)
        if status != 0 {
            let connection = self.connection
            core.deferToNextIteration { connection?.endpointFailed(operation: "uv_read_start", code: status) }
        }
    }

    func stopReading() {
        guard !isClosing else { return }
        uv_read_stop(stream)
    }

    func write(_ bytes: [UInt8]) {
        guard !isClosing, !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let count = min(StreamEndpoint.largestWriteChunk, all.count - offset)
                submitWrite(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + count)]))
                offset += count
            }
        }
    }

    private func submitWrite(_ chunk: UnsafeRawBufferPointer) {
        let header = StreamEndpoint.requestHeaderBytes
        let block = UnsafeMutableRawPointer.allocate(byteCount: header + chunk.count, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: header)
        let payload = block + header
        payload.copyMemory(from: chunk.baseAddress!, byteCount: chunk.count)
        let request = UnsafeMutablePointer<uv_write_t>(OpaquePointer(block))
        // Not retained: an open handle is kept alive by its own retain, and libuv runs every write callback
        // (cancelled ones too) before the close callback releases it.
        uv_req_set_data(uvCast(request, to: uv_req_t.self), Unmanaged.passUnretained(self).toOpaque())
        var buffer = uv_buf_init(payload.assumingMemoryBound(to: CChar.self), UInt32(chunk.count))
        pendingWriteCount += 1
        let status = uv_write(request, stream, &buffer, 1, streamWritten)
        if status != 0 {
            pendingWriteCount -= 1
            block.deallocate()
            let connection = self.connection
            core.deferToNextIteration { connection?.endpointFailed(operation: "write", code: status) }
        }
    }

    fileprivate func didWrite(_ request: UnsafeMutablePointer<uv_write_t>, status: Int32) {
        UnsafeMutableRawPointer(request).deallocate()
        pendingWriteCount -= 1
        if status < 0 && status != UV_ECANCELED.rawValue {
            connection?.endpointFailed(operation: "write", code: status)
        }
        if pendingWriteCount == 0 { connection?.endpointDrained() }
    }

    fileprivate func provideBuffer() -> uv_buf_t {
        uv_buf_init(readBuffer!.assumingMemoryBound(to: CChar.self), UInt32(StreamEndpoint.readBufferBytes))
    }

    fileprivate func didRead(_ count: Int) {
        if count > 0 {
            let bytes = Array(UnsafeRawBufferPointer(start: readBuffer!, count: count))
            connection?.endpointRead(bytes)
        } else if count == Int(UV_EOF.rawValue) {
            connection?.endpointReachedEnd()
        } else if count < 0 {
            connection?.endpointFailed(operation: "read", code: Int32(count))
        }
    }

    func closeEndpoint() { close() }

    override func didClose() {
        readBuffer?.deallocate()
        readBuffer = nil
        // libuv closes the descriptor it uses when above 2, and deliberately leaves 0, 1 and 2 open.
        if let fd = adoptedDescriptor, fd <= 2 || !libuvUsesAdoptedDescriptor {
            releaseDescriptor(fd, alreadyClosed: false)
        }
        let connection = self.connection
        self.connection = nil
        connection?.endpointDidClose(self)
    }
}

private func streamAllocate(
    _ handle: UnsafeMutablePointer<uv_handle_t>?, _ suggested: Int, _ buffer: UnsafeMutablePointer<uv_buf_t>?
) {
    buffer?.pointee = LibUVHandle.owner(of: handle, as: StreamEndpoint.self).provideBuffer()
}

private func streamRead(
    _ stream: UnsafeMutablePointer<uv_stream_t>?, _ count: Int, _ buffer: UnsafePointer<uv_buf_t>?
) {
    LibUVHandle.owner(of: stream.map { uvCast($0, to: uv_handle_t.self) }, as: StreamEndpoint.self).didRead(count)
}

private func streamWritten(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    guard let request, let data = uv_req_get_data(uvCast(request, to: uv_req_t.self)) else { return }
    Unmanaged<StreamEndpoint>.fromOpaque(data).takeUnretainedValue().didWrite(request, status: status)
}
