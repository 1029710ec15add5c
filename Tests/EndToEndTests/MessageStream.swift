import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The two framings of the wire contract.
enum Framing {
    case newlineDelimited
    case contentLength

    func frame(_ body: [UInt8]) -> [UInt8] {
        switch self {
        case .newlineDelimited: return body + [0x0A]
        case .contentLength: return Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        }
    }
}

/// One message from the daemon: its raw body bytes and the JSON object they hold.
struct Received {
    let body: [UInt8]
    let object: [String: Any]

    var id: Int? { object["id"] as? Int }
    var method: String? { object["method"] as? String }
    var result: [String: Any]? { object["result"] as? [String: Any] }
    var params: [String: Any]? { object["params"] as? [String: Any] }
    var error: [String: Any]? { object["error"] as? [String: Any] }
    var errorCode: Int? { error?["code"] as? Int }
    var errorMessage: String? { error?["message"] as? String }
    var isResponse: Bool { object["method"] == nil }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A framed JSON-RPC conversation over two file descriptors (a child's stdio pipes, or one socket).
/// Every read is bounded by a timeout; a daemon that stops answering fails the test instead of hanging it.
final class MessageStream {
    let readFD: Int32
    private(set) var writeFD: Int32
    let framing: Framing
    private let ownsDescriptors: Bool
    private var buffer: [UInt8] = []
    private var atEnd = false
    /// Messages read while waiting for something else (notifications, other responses), in order.
    private(set) var seen: [Received] = []

    init(readFD: Int32, writeFD: Int32, framing: Framing, ownsDescriptors: Bool) {
        self.readFD = readFD
        self.writeFD = writeFD
        self.framing = framing
        self.ownsDescriptors = ownsDescriptors
    }

    deinit { close() }

    /// Connects to `unix:PATH` or `tcp:HOST:PORT` (IPv4 host) with a blocking socket.
    static func connect(_ address: String, framing: Framing) throws -> MessageStream {
        let fd = try SocketConnection.connect(address)
        return MessageStream(readFD: fd, writeFD: fd, framing: framing, ownsDescriptors: true)
    }

    // MARK: - Sending

    func sendRaw(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(writeFD, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw HarnessError("write: errno \(errno)")
            }
            offset += written
        }
    }

    /// Sends one JSON value in this stream's framing.
    func send(_ object: Any) throws {
        try sendRaw(framing.frame(try MessageStream.encode(object)))
    }

    func request(_ id: Int, _ method: String, _ params: [String: Any]? = nil) throws {
        var object: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method]
        if let params { object["params"] = params }
        try send(object)
    }

    func notify(_ method: String, _ params: [String: Any]? = nil) throws {
        var object: [String: Any] = ["jsonrpc": "2.0", "method": method]
        if let params { object["params"] = params }
        try send(object)
    }

    static func encode(_ object: Any) throws -> [UInt8] {
        [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// The test's side stops writing (a socket is half-closed; a pipe is closed).
    func closeWrite() {
        guard writeFD >= 0 else { return }
        if writeFD == readFD {
            shutdown(writeFD, Int32(SHUT_WR))
        } else if ownsDescriptors {
            Glibc.close(writeFD)
        }
        if writeFD != readFD { writeFD = -1 }
    }

    func close() {
        guard ownsDescriptors, readFD >= 0 else { return }
        Glibc.close(readFD)
        if writeFD >= 0 && writeFD != readFD { Glibc.close(writeFD) }
        writeFD = -1
    }

    // MARK: - Receiving

    /// The next message, or an error at end of stream or after `timeout` seconds.
    func next(timeout: TimeInterval = E2E.timeout) throws -> Received {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let message = try takeMessage() { return message }
            if atEnd { throw HarnessError("the stream ended before a complete message (\(buffer.count) bytes left)") }
            try fill(until: deadline)
        }
    }

    /// Reads until the response with `id` arrives; everything read before it is kept in `seen`.
    func response(id: Int, timeout: TimeInterval = E2E.timeout) throws -> Received {
        if let index = seen.firstIndex(where: { $0.isResponse && $0.id == id }) { return seen.remove(at: index) }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let message = try next(timeout: max(0.001, deadline.timeIntervalSinceNow))
            if message.isResponse && message.id == id { return message }
            seen.append(message)
        }
    }

    /// Every message until the daemon closes the stream.
    func readToEnd(timeout: TimeInterval = E2E.timeout) throws -> [Received] {
        let deadline = Date().addingTimeInterval(timeout)
        var messages: [Received] = []
        while true {
            if let message = try takeMessage() {
                messages.append(message)
                continue
            }
            if atEnd { return messages }
            try fill(until: deadline)
        }
    }

    /// True when the daemon closed its side (read returns end of file) within `timeout`.
    func waitForEnd(timeout: TimeInterval = E2E.timeout) -> Bool {
        (try? readToEnd(timeout: timeout)) != nil
    }

    private func fill(until deadline: Date) throws {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { throw HarnessError("no complete message within the timeout") }
        var descriptor = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(min(remaining, 1) * 1000) + 1)
        if ready < 0 && errno != EINTR { throw HarnessError("poll: errno \(errno)") }
        guard ready > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = read(readFD, &chunk, chunk.count)
        if count == 0 || (count < 0 && errno == ECONNRESET) {
            atEnd = true
        } else if count < 0 {
            if errno != EINTR && errno != EAGAIN { throw HarnessError("read: errno \(errno)") }
        } else {
            buffer += chunk[0..<count]
        }
    }

    private func takeMessage() throws -> Received? {
        guard let body = try takeBody() else { return nil }
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw HarnessError(
                "the daemon sent a body that is not a JSON object: \(String(decoding: body, as: UTF8.self))")
        }
        return Received(body: body, object: object)
    }

    private func takeBody() throws -> [UInt8]? {
        switch framing {
        case .newlineDelimited:
            guard let newline = buffer.firstIndex(of: 0x0A) else { return nil }
            let body = Array(buffer[..<newline])
            buffer.removeSubrange(...newline)
            return body
        case .contentLength:
            let separator: [UInt8] = [13, 10, 13, 10]
            guard buffer.count >= 4,
                let headerEnd = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<$0 + 4]) == separator })
            else { return nil }
            let header = String(decoding: buffer[..<headerEnd], as: UTF8.self)
            guard
                let line = header.split(separator: "\r\n").first(where: {
                    $0.lowercased().hasPrefix("content-length:")
                }),
                let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
            else { throw HarnessError("a header without Content-Length: \(header)") }
            let start = headerEnd + 4
            guard buffer.count >= start + length else { return nil }
            let body = Array(buffer[start..<start + length])
            buffer.removeSubrange(..<(start + length))
            return body
        }
    }
}

/// Blocking client sockets for `unix:PATH` and `tcp:HOST:PORT`.
enum SocketConnection {
    static func connect(_ address: String) throws -> Int32 {
        if address.hasPrefix("unix:") { return try connectUnix(String(address.dropFirst(5))) }
        if address.hasPrefix("tcp:"), let colon = address.lastIndex(of: ":"),
            let port = UInt16(address[address.index(after: colon)...])
        {
            let host = String(address[address.index(address.startIndex, offsetBy: 4)..<colon])
            return try connectTCP(host: host, port: port)
        }
        throw HarnessError("not an address: \(address)")
    }

    static func connectUnix(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes.prefix($0.count - 1)) }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HarnessError("connect unix:\(path): errno \(code)")
        }
        return fd
    }

    static func connectTCP(host: String, port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            Glibc.close(fd)
            throw HarnessError("not an IPv4 address: \(host)")
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HarnessError("connect tcp:\(host):\(port): errno \(code)")
        }
        return fd
    }

    /// Connects, retrying until the daemon listens (bounded).
    static func waitUntilAccepting(_ address: String, timeout: TimeInterval = E2E.timeout) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do {
                Glibc.close(try connect(address))
                return
            } catch {
                if Date() > deadline { throw HarnessError("\(address) did not accept within \(timeout) s: \(error)") }
                usleep(20_000)
            }
        }
    }
}
