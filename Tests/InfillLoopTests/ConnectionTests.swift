import CLibUV
import Foundation
import InfillLoop
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

final class ConnectionTests: XCTestCase {
    /// A client that resets the connection while the server has megabytes queued for it: the server sees
    /// `onEnd` exactly once, frees the connection, and keeps serving others.
    func testClientDisconnectMidWriteEndsThatConnectionOnly() throws {
        let loop = try EventLoop()
        let ends = Locked<[Int: Int]>([:])
        let diagnostics = Locked<[String]>([])
        loop.onDiagnostic = { message in diagnostics.withValue { $0.append(message) } }
        let chunk = testPattern(count: 256 * 1024, seed: 1)
        let socket = try loop.listen(.tcp(host: "127.0.0.1", port: 0), allowRemote: false) { connection in
            if connection.id == 1 {
                connection.onEnd = { ends.withValue { $0[connection.id, default: 0] += 1 } }
                for _ in 0..<64 { connection.write(chunk) }  // 16 MiB, far more than the socket buffers hold
            } else {
                echo(connection)
            }
        }
        let port = try XCTUnwrap(socket.boundPort)
        let runner = LoopRunner(loop)
        runner.start()

        let victim = try TestSocket.connectTCP(host: "127.0.0.1", port: port)
        let firstBytes = try TestSocket.readToEnd(victim, limit: 1000)
        XCTAssertEqual(firstBytes, Array(chunk.prefix(1000)))
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)  // close with RST, unread data and all
        setsockopt(victim, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(victim)
        XCTAssertTrue(waitUntil { ends.current[1] == 1 }, "the server never saw the disconnect")

        let other = try TestSocket.connectTCP(host: "127.0.0.1", port: port)
        try TestSocket.sendAll(other, Array("still here".utf8))
        shutdown(other, Int32(SHUT_WR))
        let answer = try TestSocket.readToEnd(other)
        close(other)
        runner.stopAndWait()
        XCTAssertEqual(String(decoding: answer, as: UTF8.self), "still here")
        XCTAssertEqual(ends.current, [1: 1], "onEnd must fire once, for the disconnected client only")
        XCTAssertEqual(loop.openConnectionCount, 0)
        let report = diagnostics.current.joined(separator: "\n")
        XCTAssertTrue(report.contains("connection 1 (tcp:127.0.0.1:"), report)
        XCTAssertTrue(report.contains("ECONNRESET") || report.contains("EPIPE"), report)
    }

    /// Closures that capture their own connection strongly (as a server's do) form a cycle; closing must
    /// break it, so connections and the loop are freed once everything closed.
    func testClosedConnectionsAndTheirClosuresAreReleased() throws {
        let path = try makeTemporaryDirectory(self) + "/release.sock"
        let released = Locked<[WeakConnection]>([])
        do {
            let loop = try EventLoop()
            try loop.listen(.unix(path: path), allowRemote: false) { connection in
                released.withValue { $0.append(WeakConnection(connection)) }
                connection.onData = { bytes in connection.write(bytes) }
                connection.onEnd = { connection.close() }
            }
            let runner = LoopRunner(loop)
            runner.start()
            for _ in 0..<3 {
                let fd = try TestSocket.connectUnix(path)
                try TestSocket.sendAll(fd, Array("x".utf8))
                shutdown(fd, Int32(SHUT_WR))
                XCTAssertEqual(try TestSocket.readToEnd(fd), Array("x".utf8))
                close(fd)
            }
            // One client still connected when the loop stops: stop closes it, which must free it too.
            let lingering = try TestSocket.connectUnix(path)
            XCTAssertTrue(waitUntil { released.current.count == 4 })
            runner.stopAndWait()
            close(lingering)
        }
        XCTAssertEqual(released.current.count, 4)
        XCTAssertTrue(released.current.allSatisfy { $0.connection == nil }, "a connection outlived its loop")
    }

    /// `stop()` right after a large write still delivers every byte, then closes.
    func testStopFlushesPendingWritesFirst() throws {
        let path = try makeTemporaryDirectory(self) + "/flush.sock"
        let loop = try EventLoop()
        let payload = testPattern(count: 4 << 20, seed: 3)
        try loop.listen(.unix(path: path), allowRemote: false) { [unowned loop] connection in
            connection.write(payload)
            loop.stop()
        }
        let runner = LoopRunner(loop)
        runner.start()
        let fd = try TestSocket.connectUnix(path)
        let received = try TestSocket.readToEnd(fd)
        close(fd)
        runner.waitUntilFinished()
        XCTAssertEqual(received.count, payload.count)
        XCTAssertTrue(sameBytes(received, payload))
    }

    /// A client that never reads cannot hold `stop()` hostage: after the grace period the connection is
    /// closed with its writes dropped, and `run()` returns.
    func testStopGivesUpOnAClientThatNeverReads() throws {
        let loop = try EventLoop()
        loop.stopGracePeriodMs = 50
        let total = 64 << 20
        let socket = try loop.listen(.tcp(host: "127.0.0.1", port: 0), allowRemote: false) {
            [unowned loop] connection in
            let chunk = [UInt8](repeating: 0x5A, count: 1 << 20)
            for _ in 0..<(total >> 20) { connection.write(chunk) }
            loop.stop()
        }
        let runner = LoopRunner(loop)
        runner.start()
        let fd = try TestSocket.connectTCP(host: "127.0.0.1", port: try XCTUnwrap(socket.boundPort))
        runner.waitUntilFinished()
        let received = (try? TestSocket.readToEnd(fd)) ?? []
        close(fd)
        XCTAssertLessThan(received.count, total, "all bytes arrived: the client was never blocked")
        XCTAssertEqual(loop.openConnectionCount, 0)
    }

    /// After `close()`, writes are ignored and `onEnd` does not fire, even when the peer then goes away.
    func testCloseSendsWhatWasWrittenAndSilencesTheConnection() throws {
        let path = try makeTemporaryDirectory(self) + "/close.sock"
        let loop = try EventLoop()
        let endCalls = Locked(0)
        try loop.listen(.unix(path: path), allowRemote: false) { connection in
            connection.onEnd = { endCalls.withValue { $0 += 1 } }
            connection.write(Array("hello".utf8))
            connection.close()
            connection.write(Array(" ignored".utf8))
            XCTAssertTrue(connection.isClosed)
        }
        let runner = LoopRunner(loop)
        runner.start()
        let fd = try TestSocket.connectUnix(path)
        let received = try TestSocket.readToEnd(fd)
        close(fd)
        runner.stopAndWait()
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "hello")
        XCTAssertEqual(endCalls.current, 0)
    }

    /// A paused connection delivers nothing until resumed, then everything, in order.
    func testPausedReadingDeliversNothingUntilResumed() throws {
        let path = try makeTemporaryDirectory(self) + "/pause.sock"
        let loop = try EventLoop()
        let mailbox = loop.makeMailbox()
        let opened = LoopThreadOnly<LoopConnection?>(nil)
        let seen = LoopThreadOnly<Int>(0)
        let accepted = Locked(false)
        let seenWhilePaused = Locked<Int?>(nil)
        try loop.listen(.unix(path: path), allowRemote: false) { connection in
            connection.pauseReading()
            connection.onData = { [unowned connection] bytes in
                seen.value += bytes.count
                connection.write(bytes)
            }
            connection.onEnd = { [unowned connection] in connection.close() }
            opened.value = connection
            accepted.withValue { $0 = true }
        }
        let runner = LoopRunner(loop)
        runner.start()
        let fd = try TestSocket.connectUnix(path)
        let payload = testPattern(count: 100_000, seed: 5)
        try TestSocket.sendAll(fd, payload)
        shutdown(fd, Int32(SHUT_WR))
        XCTAssertTrue(waitUntil { accepted.current })
        // The bytes sit in the kernel now; an unpaused connection would be reading them.
        mailbox.post {
            seenWhilePaused.withValue { $0 = seen.value }
            opened.value?.resumeReading()
        }
        let received = try TestSocket.readToEnd(fd)
        close(fd)
        runner.stopAndWait()
        XCTAssertEqual(seenWhilePaused.current, 0, "bytes arrived while reading was paused")
        XCTAssertTrue(sameBytes(received, payload))
    }

    func testConnectionsGetDistinctIdsAndKinds() throws {
        let path = try makeTemporaryDirectory(self) + "/ids.sock"
        let loop = try EventLoop()
        let seen = Locked<[(Int, ConnectionKind, String)]>([])
        let record: (LoopConnection) -> Void = { connection in
            seen.withValue { $0.append((connection.id, connection.kind, connection.peer)) }
            echo(connection)
        }
        try loop.listen(.unix(path: path), allowRemote: false, onConnection: record)
        let socket = try loop.listen(.tcp(host: "127.0.0.1", port: 0), allowRemote: false, onConnection: record)
        let runner = LoopRunner(loop)
        runner.start()
        for fd in [
            try TestSocket.connectUnix(path), try TestSocket.connectTCP(host: "127.0.0.1", port: socket.boundPort!),
        ] {
            shutdown(fd, Int32(SHUT_WR))
            _ = try TestSocket.readToEnd(fd)
            close(fd)
        }
        runner.stopAndWait()
        let connections = seen.current
        XCTAssertEqual(connections.map(\.0), [1, 2])
        XCTAssertEqual(connections.map(\.1), [.unix, .tcp])
        XCTAssertEqual(connections.first?.2, "unix:\(path)")
        XCTAssertTrue(connections.last?.2.hasPrefix("tcp:127.0.0.1:") ?? false, connections.last?.2 ?? "")
    }
}

final class WeakConnection: @unchecked Sendable {
    weak var connection: LoopConnection?
    init(_ connection: LoopConnection) { self.connection = connection }
}

/// Polls `condition` until it holds or the test timeout passes (no timing is asserted, only the outcome).
func waitUntil(_ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(testTimeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(2000)
    }
    return condition()
}
