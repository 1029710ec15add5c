import CLibUV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A resolved IPv4 or IPv6 socket address in a `sockaddr_storage`.
struct SocketAddress {
    var storage = sockaddr_storage()

    var family: Int32 { Int32(storage.ss_family) }

    /// Resolves a TCP host: numeric IPv4/IPv6 directly, a name (e.g. `localhost`) through getaddrinfo,
    /// taking its first answer.
    static func resolve(host: String, port: Int) throws(LoopError) -> SocketAddress {
        var address = SocketAddress()
        let numeric: Bool = withUnsafeMutablePointer(to: &address.storage) { storage in
            storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_addr(host, Int32(port), $0) == 0 }
                || storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    uv_ip6_addr(host, Int32(port), $0) == 0
                }
        }
        if numeric { return address }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let first = results, let found = first.pointee.ai_addr else {
            let detail = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw .unresolvableHost(host: host, detail: detail)
        }
        defer { freeaddrinfo(results) }
        withUnsafeMutableBytes(of: &address.storage) { target in
            target.copyMemory(
                from: UnsafeRawBufferPointer(start: found, count: min(Int(first.pointee.ai_addrlen), target.count)))
        }
        return address
    }

    /// Reads the address of a socket (`uv_tcp_getsockname` / `uv_tcp_getpeername`).
    static func read(
        _ call: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<Int32>) -> Int32
    ) -> SocketAddress? {
        var address = SocketAddress()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &address.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call($0, &length) }
        }
        return status == 0 ? address : nil
    }

    var port: Int {
        withUnsafePointer(to: storage) { storage in
            if family == AF_INET {
                return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin_port))
                }
            }
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin6_port))
            }
        }
    }

    /// The numeric host, without brackets ("127.0.0.1", "::1").
    var host: String {
        var text = [CChar](repeating: 0, count: 64)
        withUnsafePointer(to: storage) { storage in
            if family == AF_INET {
                storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { _ = uv_ip4_name($0, &text, text.count) }
            } else {
                storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    _ = uv_ip6_name($0, &text, text.count)
                }
            }
        }
        return String(cString: text)
    }

    /// 127.0.0.0/8, ::1, and IPv4-mapped 127.x (::ffff:127.0.0.1).
    var isLoopback: Bool {
        withUnsafePointer(to: storage) { storage in
            if family == AF_INET {
                return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    (UInt32(bigEndian: $0.pointee.sin_addr.s_addr) >> 24) == 127
                }
            }
            guard family == AF_INET6 else { return false }
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                let bytes = withUnsafeBytes(of: address.pointee.sin6_addr) { Array($0) }
                let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
                let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]
                return bytes == loopback || (Array(bytes[0..<12]) == mappedPrefix && bytes[12] == 127)
            }
        }
    }

    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>) -> Result) -> Result {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
    }
}
