import CLibUV  // SHUT_WR
import Foundation
import InfillLoop
import XCTest

/// Real sockets, several clients at once, large writes: what goes in comes back whole and in order.
final class EchoTests: XCTestCase {
    private let clients = 8
    private let bytesPerClient = 1 << 20

    func testEchoOverUnixSocketWithEightClientsOfOneMegabyte() throws {
        let path = try makeTemporaryDirectory(self) + "/echo.sock"
        let loop = try EventLoop()
        let socket = try loop.listen(.unix(path: path), allowRemote: false, onConnection: echo)
        XCTAssertNil(socket.boundPort)
        try runEchoClients(loop) { try TestSocket.connectUnix(path) }
    }

    func testEchoOverTCPWithEightClientsOfOneMegabyte() throws {
        let loop = try EventLoop()
        let socket = try loop.listen(.tcp(host: "127.0.0.1", port: 0), allowRemote: false, onConnection: echo)
        let port = try XCTUnwrap(socket.boundPort)
        XCTAssertGreaterThan(port, 0)
        XCTAssertEqual(socket.bound, .tcp(host: "127.0.0.1", port: port))
        try runEchoClients(loop) { try TestSocket.connectTCP(host: "127.0.0.1", port: port) }
    }

    func testEchoOverIPv6Loopback() throws {
        let loop = try EventLoop()
        let socket: ListeningSocket
        do {
            socket = try loop.listen(.tcp(host: "::1", port: 0), allowRemote: false, onConnection: echo)
        } catch LoopError.libuv(_, let code) {
            throw XCTSkip("no IPv6 loopback here: \(code)")
        }
        let port = try XCTUnwrap(socket.boundPort)
        XCTAssertEqual(socket.bound.description, "tcp:[::1]:\(port)")
        try runEchoClients(loop) { try TestSocket.connectTCP(host: "::1", port: port) }
    }

    /// Each client writes its whole pattern, half-closes, and reads the echo to end of file (the server
    /// closes after flushing, on end of input): this also covers writes after the peer's end of input.
    private func runEchoClients(_ loop: EventLoop, connect: @escaping @Sendable () throws -> Int32) throws {
        let runner = LoopRunner(loop)
        runner.start()
        let received = Locked<[Int: [UInt8]]>([:])
        let failures = Locked<[String]>([])
        let size = bytesPerClient
        runConcurrently(clients) { index in
            do {
                let fd = try connect()
                defer { close(fd) }
                let pattern = testPattern(count: size, seed: index)
                // Read on another thread while writing, as a real client would.
                let reader = Locked<[UInt8]?>(nil)
                let done = DispatchSemaphore(value: 0)
                Thread {
                    let bytes = try? TestSocket.readToEnd(fd)
                    reader.withValue { $0 = bytes }
                    done.signal()
                }.start()
                try TestSocket.sendAll(fd, pattern)
                shutdown(fd, Int32(SHUT_WR))
                _ = done.wait(timeout: .now() + testTimeout)
                received.withValue { $0[index] = reader.current ?? [] }
            } catch {
                failures.withValue { $0.append("client \(index): \(error)") }
            }
        }
        runner.stopAndWait()
        XCTAssertEqual(failures.current, [])
        for index in 0..<clients {
            let bytes = received.current[index] ?? []
            XCTAssertEqual(bytes.count, size, "client \(index) got \(bytes.count) bytes")
            XCTAssertTrue(
                sameBytes(bytes, testPattern(count: size, seed: index)), "client \(index): bytes differ or reordered")
        }
    }
}
