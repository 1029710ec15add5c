import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sedd serve --listen`: Unix and TCP sockets, many clients, SIGTERM, stale and live socket files.
final class SocketEndToEndTests: DaemonTestCase {
    func testUnixSocketIsPrivateAndServesBothFramings() throws {
        let (_, address) = try startUnixDaemon()
        let path = String(address.dropFirst("unix:".count))
        let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o600)
        for framing in [Framing.newlineDelimited, .contentLength] {
            let stream = try MessageStream.connect(address, framing: framing)
            try stream.request(1, "sedd/infill", DaemonTestCase.smallInfill(prefix: "x", suffix: "y"))
            let response = try stream.response(id: 1)
            let text = (response.result?["items"] as? [[String: Any]])?.first?["text"] as? String
            XCTAssertTrue(text?.hasPrefix("x") == true && text?.hasSuffix("y") == true, response.text)
        }
    }

    func testTCPServesTheLSPLifecycleAndInfill() throws {
        let (daemon, address) = try startTCPDaemon()
        let stream = try MessageStream.connect(address, framing: .contentLength)
        try stream.request(1, "initialize", ["capabilities": ["general": ["positionEncodings": ["utf-8"]]]])
        let capabilities = try stream.response(id: 1).result?["capabilities"] as? [String: Any]
        XCTAssertEqual(capabilities?["positionEncoding"] as? String, "utf-8", "utf-8 on request")
        try stream.request(2, "sedd/infill", DaemonTestCase.smallInfill())
        XCTAssertNotNil(try stream.response(id: 2).result)
        try stream.request(3, "shutdown")
        _ = try stream.response(id: 3)
        try stream.notify("exit")
        XCTAssertTrue(stream.waitForEnd(), "exit on a socket closes that connection")
        XCTAssertNil(daemon.waitForExit(timeout: 0.3), "and only that connection: the daemon keeps running")
        let other = try MessageStream.connect(address, framing: .newlineDelimited)
        try other.request(1, "sedd/status")
        XCTAssertNotNil(try other.response(id: 1).result)
    }

    func testEightConcurrentClientsAreAllAnswered() throws {
        let (_, address) = try startUnixDaemon()
        let lock = NSLock()
        var answered: [Int: [Int]] = [:]
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { client in
            do {
                let stream = try MessageStream.connect(
                    address, framing: client % 2 == 0 ? .newlineDelimited : .contentLength)
                for id in 1...3 {
                    try stream.request(id, "sedd/infill", DaemonTestCase.smallInfill(seed: client * 10 + id))
                }
                var ids: [Int] = []
                for id in 1...3 {
                    let response = try stream.response(id: id)
                    if response.result == nil { throw HarnessError("client \(client): \(response.text)") }
                    ids.append(id)
                }
                lock.withLock { answered[client] = ids }
            } catch {
                lock.withLock { failures.append("client \(client): \(error)") }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(answered.count, 8)
        XCTAssertTrue(answered.values.allSatisfy { $0 == [1, 2, 3] })
    }

    func testSIGTERMAnswersInFlightWorkRemovesTheSocketAndExitsZero() throws {
        let (daemon, address) = try startUnixDaemon()
        let path = String(address.dropFirst("unix:".count))
        let busy = try MessageStream.connect(address, framing: .newlineDelimited)
        let watcher = try MessageStream.connect(address, framing: .newlineDelimited)
        try busy.request(1, "sedd/infill", DaemonTestCase.slowInfill)
        _ = try waitForStatus(watcher, firstID: 100) { ($0["running"] as? Bool) == true }
        daemon.signal(SIGTERM)
        let answer = try busy.response(id: 1)
        XCTAssertEqual(answer.errorCode, -32800, answer.text)
        XCTAssertEqual(daemon.waitForExit(), .exited(0), daemon.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the socket file is removed")
    }

    func testAStaleSocketFileIsReplaced() throws {
        let path = directory + "/stale.sock"
        try Self.leaveStaleSocket(at: path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        let (_, address) = try startUnixDaemon(path: path)
        let stream = try MessageStream.connect(address, framing: .newlineDelimited)
        try stream.request(1, "sedd/status")
        XCTAssertNotNil(try stream.response(id: 1).result)
    }

    func testALiveSocketIsRefusedWithExitOneAndAClearMessage() throws {
        let (first, address) = try startUnixDaemon()
        let second = try startDaemon(["--listen", address], input: .null, name: "second")
        XCTAssertEqual(second.waitForExit(), .exited(1))
        XCTAssertTrue(second.stderr.contains("already listening"), second.stderr)
        XCTAssertTrue(second.stderr.contains(address), second.stderr)
        XCTAssertNil(first.waitForExit(timeout: 0), "the first daemon is unaffected")
        let stream = try MessageStream.connect(address, framing: .newlineDelimited)
        try stream.request(1, "sedd/status")
        XCTAssertNotNil(try stream.response(id: 1).result, "and still serves its socket")
    }

    /// A socket file with no process behind it: bound, then closed without unlinking.
    static func leaveStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes.prefix($0.count - 1)) }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else { throw HarnessError("bind \(path): errno \(errno)") }
    }
}
