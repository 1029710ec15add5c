import CLibUV  // also brings sys/socket.h declarations that the Glibc module map leaves out

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file-system side of a Unix listener: clearing a stale socket file before binding, making the new
/// one private (0600), and removing it on close only if it is still the one this process created.
struct UnixSocketFile {
    let path: String
    /// Identity of the file this process bound, so a socket someone else created later is never removed.
    private(set) var device: UInt64 = 0
    private(set) var inode: UInt64 = 0

    init(path: String) { self.path = path }

    /// Makes room for a new socket at `path`: nothing there is fine; a socket nobody listens on (connect
    /// is refused) is removed; a socket with a live listener, or anything that is not a socket, is an error.
    func clearStaleSocket() throws(LoopError) {
        var info = stat()
        if lstat(path, &info) != 0 {
            let code = errno
            if code == ENOENT { return }
            throw .system(operation: "checking unix:\(path) (lstat)", errno: code)
        }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw .pathIsNotSocket(path: path) }
        switch UnixSocketFile.probe(path) {
        case .live: throw .socketInUse(path: path)
        case .gone: return
        case .stale:
            if unlink(path) != 0 && errno != ENOENT {
                throw .system(operation: "removing the stale socket unix:\(path) (unlink)", errno: errno)
            }
        case .failed(let code):
            throw .system(operation: "checking whether unix:\(path) is in use (connect)", errno: code)
        }
    }

    enum ProbeResult: Equatable {
        case live, stale, gone
        case failed(Int32)
    }

    /// Tries to connect, without blocking: a listener behind the file accepts (or its backlog is full,
    /// EAGAIN: also live); ECONNREFUSED means the socket file outlived its process.
    static func probe(_ path: String) -> ProbeResult {
        let socketFD = socket(
            AF_UNIX,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { return .failed(errno) }
        defer { close(socketFD) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes.prefix(raw.count - 1))
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return .live }
        switch errno {
        case EAGAIN, EINPROGRESS: return .live
        case ECONNREFUSED: return .stale
        case ENOENT: return .gone
        case let code: return .failed(code)
        }
    }

    /// After bind, before listen (no client can connect in between): owner-only permissions, and the
    /// identity of the file for `removeIfOurs`.
    mutating func secureAfterBind() throws(LoopError) {
        if chmod(path, 0o600) != 0 {
            throw .system(operation: "making unix:\(path) private (chmod 0600)", errno: errno)
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// Removes the socket file if it is still the one bound by this process.
    func removeIfOurs() {
        var info = stat()
        guard lstat(path, &info) == 0, UInt64(info.st_dev) == device, UInt64(info.st_ino) == inode,
            (info.st_mode & S_IFMT) == S_IFSOCK
        else { return }
        unlink(path)
    }
}
