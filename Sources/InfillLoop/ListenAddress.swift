#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a listener accepts clients: `unix:PATH` or `tcp:HOST:PORT` (an IPv6 host in brackets,
/// `tcp:[::1]:7777`). Port 0 asks the system for a free port; the listener reports the one it got.
public enum ListenAddress: Equatable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// The longest Unix socket path the kernel accepts (`sun_path` less its terminating NUL).
    public static let maximumUnixPathBytes = 107

    /// Parses a `--listen` value.
    ///
    /// - Throws: ``LoopError/invalidListenAddress(input:reason:)`` naming what was wrong and what is accepted.
    public init(parsing text: String) throws(LoopError) {
        func invalid(_ reason: String) -> LoopError { .invalidListenAddress(input: text, reason: reason) }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            if path.isEmpty { throw invalid("the socket path after 'unix:' is empty") }
            if path.utf8.contains(0) { throw invalid("the socket path contains a NUL byte") }
            if path.utf8.count > ListenAddress.maximumUnixPathBytes {
                throw invalid(
                    "the socket path is \(path.utf8.count) bytes long, "
                        + "the system allows at most \(ListenAddress.maximumUnixPathBytes)")
            }
            self = .unix(path: path)
        } else if text.hasPrefix("tcp:") {
            let rest = Substring(text.dropFirst("tcp:".count))
            let (host, portText) = try ListenAddress.splitHostAndPort(rest, invalid: invalid)
            self = .tcp(host: host, port: try ListenAddress.parsePort(portText, invalid: invalid))
        } else if text.isEmpty {
            throw invalid("it is empty")
        } else {
            throw invalid("it starts with neither 'unix:' nor 'tcp:'")
        }
    }

    /// The canonical text form, which ``init(parsing:)`` reads back.
    public var description: String {
        switch self {
        case .unix(let path): return "unix:\(path)"
        case .tcp(let host, let port):
            return host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
        }
    }

    private static func splitHostAndPort(
        _ rest: Substring, invalid: (String) -> LoopError
    ) throws(LoopError) -> (String, Substring) {
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw invalid("the IPv6 host has '[' but no closing ']'")
            }
            let host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { throw invalid("expected ':PORT' after the bracketed host") }
            guard isIPv6Literal(host) else { throw invalid("'\(host)' in brackets is not an IPv6 address") }
            return (host, after.dropFirst())
        }
        guard let colon = rest.lastIndex(of: ":") else { throw invalid("the ':PORT' after the host is missing") }
        let host = rest[..<colon]
        if host.isEmpty { throw invalid("the host before ':PORT' is empty") }
        if host.contains(":") { throw invalid("an IPv6 host must be written in brackets, as in tcp:[::1]:PORT") }
        let allowed = host.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x2D
        }
        if !allowed {
            throw invalid("the host '\(host)' may contain only letters, digits, '.' and '-' (or be [IPv6] in brackets)")
        }
        return (String(host), rest[rest.index(after: colon)...])
    }

    private static func parsePort(_ text: Substring, invalid: (String) -> LoopError) throws(LoopError) -> Int {
        if text.isEmpty { throw invalid("the port after the host is empty") }
        guard text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let port = Int(text),
            port <= 65535
        else {
            throw invalid("the port '\(text)' is not a number from 0 to 65535")
        }
        return port
    }

    static func isIPv6Literal(_ host: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET6, host, &storage) == 1
    }
}
