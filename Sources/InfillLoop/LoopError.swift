import CLibUV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every failure the event loop reports to its caller. Each message names what was asked for, what went
/// wrong, and what is accepted or what to do about it.
public enum LoopError: Error, Equatable, CustomStringConvertible {
    /// A `--listen` value that is not `unix:PATH` or `tcp:HOST:PORT`.
    case invalidListenAddress(input: String, reason: String)
    /// A TCP host that is not a loopback address, without `allowRemote`.
    case remoteNotAllowed(address: String)
    /// A TCP host name that does not resolve to an address.
    case unresolvableHost(host: String, detail: String)
    /// Another process already listens on this Unix socket path.
    case socketInUse(path: String)
    /// Something that is not a socket sits at the Unix socket path; it is never deleted.
    case pathIsNotSocket(path: String)
    /// Standard input or output is something the loop cannot drive (a UDP socket, an unknown handle).
    case unsupportedDescriptor(fd: Int32, type: String)
    /// A libuv call failed; `operation` names the call and its subject.
    case libuv(operation: String, code: Int32)
    /// A plain system call failed; `operation` names the call and its subject.
    case system(operation: String, errno: Int32)
    /// The loop was already stopped; nothing new can be started on it.
    case stopped

    public var description: String {
        switch self {
        case .invalidListenAddress(let input, let reason):
            return "invalid listen address '\(input)': \(reason); accepted: unix:PATH, tcp:HOST:PORT "
                + "(e.g. unix:/tmp/sedd.sock, tcp:127.0.0.1:7777, tcp:[::1]:7777, port 0 picks a free port)"
        case .remoteNotAllowed(let address):
            return "refusing to listen on \(address): not a loopback address "
                + "(127.0.0.0/8, ::1, localhost); pass --allow-remote to expose the daemon to the network"
        case .unresolvableHost(let host, let detail):
            return "cannot resolve host '\(host)': \(detail); use a numeric address such as 127.0.0.1 or [::1]"
        case .socketInUse(let path):
            return "cannot listen on unix:\(path): another process is already listening there "
                + "(a connection to it succeeded); stop that process or choose another path"
        case .pathIsNotSocket(let path):
            return "cannot listen on unix:\(path): the path exists and is not a socket; "
                + "it is left untouched, choose another path"
        case .unsupportedDescriptor(let fd, let type):
            return "file descriptor \(fd) is a \(type); accepted for stdio: a pipe, a terminal, "
                + "a regular file, a Unix or TCP socket"
        case .libuv(let operation, let code):
            return "\(operation) failed: \(LoopError.uvMessage(code))"
        case .system(let operation, let code):
            return "\(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .stopped:
            return "the event loop was stopped; nothing new can be started on it"
        }
    }

    /// "connection refused (ECONNREFUSED)" for a libuv status code.
    static func uvMessage(_ code: Int32) -> String {
        "\(String(cString: uv_strerror(code))) (\(String(cString: uv_err_name(code))))"
    }
}
