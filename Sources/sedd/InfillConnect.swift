import Foundation
import InfillLoop
import InfillProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A blocking JSON-RPC client of a running `sedd serve`, speaking newline-delimited JSON over a Unix or
/// TCP socket. `sedd infill --connect` sends one request with it; `sedd bench serve` runs one per thread.
final class DaemonClient {
    let address: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var isClosed = false

    /// Connects to `unix:PATH` or `tcp:HOST:PORT` (the `--listen` syntax of `sedd serve`).
    init(address: String) throws {
        self.address = address
        let parsed: ListenAddress
        do { parsed = try ListenAddress(parsing: address) } catch {
            throw CLIError("--connect \(address): \(error)")
        }
        switch parsed {
        case .unix(let path): fd = try DaemonClient.connectUnix(path, address: address)
        case .tcp(let host, let port): fd = try DaemonClient.connectTCP(host: host, port: port, address: address)
        }
    }

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// Sends messages as NDJSON lines, in one write when there are several (a request and its cancel).
    func send(_ messages: [JSONValue]) throws {
        var bytes: [UInt8] = []
        for message in messages { bytes += MessageFramer.frame(JSONWriter.encode(message), as: .newlineDelimited) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CLIError("--connect \(address): sending failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// The next message from the daemon (a response or a notification).
    func receive() throws -> JSONValue {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                do { return try JSONParser.parse(line) } catch {
                    throw CLIError("--connect \(address): the daemon sent a line that is not JSON: \(error)")
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(fd, &chunk, chunk.count)
            if count == 0 || (count < 0 && errno == ECONNRESET) {
                throw CLIError("--connect \(address): the daemon closed the connection before answering")
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw CLIError("--connect \(address): receiving failed: \(String(cString: strerror(errno)))")
            }
            buffer += chunk[0..<count]
        }
    }

    /// Sends a request and waits for its response, skipping notifications (previews) and other ids.
    func call(id: Int, method: String, params: JSONValue) throws -> JSONValue {
        try send([["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]])
        while true {
            let message = try receive()
            if message["method"] == nil, message["id"]?.numberValue?.intValue == id { return message }
        }
    }

    // MARK: - Sockets

    private static func connectUnix(_ path: String, address: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CLIError("--connect \(address): socket: \(String(cString: strerror(errno)))") }
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes.prefix($0.count - 1)) }
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if status != 0 {
            let code = errno
            Glibc.close(fd)
            throw refused(address, code: code)
        }
        return fd
    }

    private static func connectTCP(host: String, port: Int, address: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw CLIError("--connect \(address): cannot resolve '\(host)': \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 {
                lastError = errno
                continue
            }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                var noDelay: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
                return fd
            }
            lastError = errno
            Glibc.close(fd)
        }
        throw refused(address, code: lastError)
    }

    private static func refused(_ address: String, code: Int32) -> CLIError {
        let reason = String(cString: strerror(code))
        let hint =
            code == ECONNREFUSED || code == ENOENT
            ? "; is `sedd serve --listen \(address)` running?" : ""
        return CLIError("--connect \(address): cannot connect (\(reason))\(hint)")
    }
}

/// `sedd infill --connect`: the parsed holes as one `sedd/infill` to a running daemon.
enum InfillConnect {
    /// The request's params: the text shape for one hole, the `text` + `ranges` document shape for several
    /// (empty ranges where the markers were, in UTF-16 positions, the default encoding).
    static func params(
        holes: HoleMarkers, length: Int, steps: Int, sampler: String, seed: UInt64?, candidates: Int, stop: String
    ) throws -> JSONValue {
        var params: [String: JSONValue] = [
            "length": .int(length), "steps": .int(steps), "sampler": .string(sampler), "n": .int(candidates),
            "stop": .string(stop),
        ]
        if let seed { params["seed"] = .number(JSONNumber(seed)) }
        if holes.segments.count == 2 {
            params["prefix"] = .string(holes.segments[0])
            params["suffix"] = .string(holes.segments[1])
            return .object(params)
        }
        let text = holes.segments.joined()
        let bytes = Array(text.utf8)
        let lines = LineTable(bytes)
        var ranges: [JSONValue] = []
        var offset = 0
        for segment in holes.segments.dropLast() {
            offset += segment.utf8.count
            if offset > 0, offset < bytes.count, bytes[offset - 1] == 0x0D, bytes[offset] == 0x0A {
                throw CLIError("a hole marker between \\r and \\n cannot be sent: no LSP position lies inside a CRLF")
            }
            let position = lines.position(ofByteOffset: offset, in: bytes, encoding: .utf16)
            ranges.append(InfillProtocol.Range(start: position, end: position).json)
        }
        params["text"] = .string(text)
        params["ranges"] = .array(ranges)
        return .object(params)
    }

    /// Sends the request and returns the result object, or throws the daemon's error as a CLI error.
    static func run(address: String, params: JSONValue) throws -> JSONValue {
        let client = try DaemonClient(address: address)
        defer { client.close() }
        let response = try client.call(id: 1, method: "sedd/infill", params: params)
        if let error = response["error"] {
            let code = error["code"]?.numberValue?.description ?? "?"
            let message = error["message"]?.stringValue ?? JSONWriter.string(error)
            throw CLIError("the daemon at \(address) answered error \(code): \(message)")
        }
        guard let result = response["result"], result.objectValue != nil else {
            throw CLIError("the daemon at \(address) sent a response without a result: \(JSONWriter.string(response))")
        }
        return result
    }

    /// The best item's whole text (holes filled), as `sedd infill` prints it.
    static func filledText(_ result: JSONValue) throws -> String {
        guard let items = result["items"]?.arrayValue else { throw CLIError("the daemon's result has no items") }
        guard let text = items.first?["text"]?.stringValue else {
            throw CLIError("the daemon returned no candidate (every one was dropped)")
        }
        return text
    }
}
