import CLibUV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a regular file (or /dev/null and other character devices) given as input: `uv_pipe_open` refuses
/// files, and epoll cannot watch them, so each chunk is one `uv_fs_read` on the loop, at the descriptor's
/// current offset. One read is in flight at a time; it holds a retain on this object until its callback.
final class RegularFileReader: ConnectionEndpoint {
    static let chunkBytes = 64 * 1024

    var connection: LoopConnection?
    private let core: LoopCore
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var request: UnsafeMutablePointer<uv_fs_t>?
    private var buffer: UnsafeMutableRawPointer?
    private var wantsData = false
    private var readInFlight = false
    private var isClosed = false

    init(core: LoopCore, descriptor: Int32, ownsDescriptor: Bool) {
        self.core = core
        self.fd = descriptor
        self.ownsDescriptor = ownsDescriptor
    }

    var pendingWriteCount: Int { 0 }

    func write(_ bytes: [UInt8]) { preconditionFailure("a file reader cannot be written to") }

    func startReading() {
        guard !isClosed else { return }
        wantsData = true
        issueRead()
    }

    func stopReading() { wantsData = false }

    private func issueRead() {
        guard wantsData, !readInFlight, !isClosed else { return }
        if request == nil {
            request = .allocate(capacity: 1)
            UnsafeMutableRawPointer(request!).initializeMemory(
                as: UInt8.self, repeating: 0, count: MemoryLayout<uv_fs_t>.size)
            buffer = .allocate(byteCount: RegularFileReader.chunkBytes, alignment: 16)
        }
        var chunk = uv_buf_init(buffer!.assumingMemoryBound(to: CChar.self), UInt32(RegularFileReader.chunkBytes))
        uv_req_set_data(uvCast(request!, to: uv_req_t.self), Unmanaged.passRetained(self).toOpaque())
        readInFlight = true
        let status = uv_fs_read(core.loop, request!, uv_file(fd), &chunk, 1, -1, fileReadCompleted)
        if status < 0 {
            readInFlight = false
            Unmanaged.passUnretained(self).release()
            let connection = self.connection
            core.deferToNextIteration { connection?.endpointFailed(operation: "uv_fs_read", code: status) }
        }
    }

    fileprivate func completed(result: Int) {
        readInFlight = false
        if isClosed {
            finishClose()
            return
        }
        if result > 0 {
            connection?.endpointRead(Array(UnsafeRawBufferPointer(start: buffer!, count: result)))
            issueRead()
        } else if result == 0 {
            connection?.endpointReachedEnd()
        } else {
            connection?.endpointFailed(operation: "read", code: Int32(result))
        }
    }

    func closeEndpoint() {
        guard !isClosed else { return }
        isClosed = true
        wantsData = false
        // A read in flight cannot be taken back from the thread pool: finish when it completes.
        if !readInFlight { finishClose() }
    }

    private func finishClose() {
        if let request {
            request.deallocate()
            self.request = nil
        }
        buffer?.deallocate()
        buffer = nil
        if ownsDescriptor { releaseDescriptor(fd, alreadyClosed: false) }
        let connection = self.connection
        self.connection = nil
        connection?.endpointDidClose(self)
    }
}

private func fileReadCompleted(_ request: UnsafeMutablePointer<uv_fs_t>?) {
    guard let request, let data = uv_req_get_data(uvCast(request, to: uv_req_t.self)) else { return }
    let result = uv_fs_get_result(request)
    uv_fs_req_cleanup(request)
    let reader = Unmanaged<RegularFileReader>.fromOpaque(data).takeRetainedValue()
    reader.completed(result: result)
}

/// Writes output to a regular file (or /dev/null): files are always "ready", so a plain blocking `write`
/// is what libuv would do anyway. A failure is reported on the next loop iteration, never inside `write`.
final class RegularFileWriter: ConnectionEndpoint {
    var connection: LoopConnection?
    private let core: LoopCore
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var isClosed = false
    private var hasFailed = false

    init(core: LoopCore, descriptor: Int32, ownsDescriptor: Bool) {
        self.core = core
        self.fd = descriptor
        self.ownsDescriptor = ownsDescriptor
    }

    var pendingWriteCount: Int { 0 }

    func startReading() { preconditionFailure("a file writer cannot be read from") }

    func stopReading() {}

    func write(_ bytes: [UInt8]) {
        guard !isClosed, !hasFailed, !bytes.isEmpty else { return }
        if let code = bytes.withUnsafeBytes({ writeAll(fd, $0) }) {
            hasFailed = true
            let connection = self.connection
            core.deferToNextIteration { connection?.endpointFailed(operation: "write", code: -code) }
        }
    }

    func closeEndpoint() {
        guard !isClosed else { return }
        isClosed = true
        if ownsDescriptor { releaseDescriptor(fd, alreadyClosed: false) }
        let connection = self.connection
        self.connection = nil
        connection?.endpointDidClose(self)
    }
}
