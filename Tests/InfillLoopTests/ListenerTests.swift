import CLibUV
import Foundation
import InfillLoop
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

final class ListenerTests: XCTestCase {
    func testSocketFileIsPrivateAndRemovedOnStop() throws {
        let path = try makeTemporaryDirectory(self) + "/mode.sock"
        let loop = try EventLoop()
        try loop.listen(.unix(path: path), allowRemote: false, onConnection: echo)
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFSOCK)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        let runner = LoopRunner(loop)
        runner.start()
        runner.stopAndWait()
        XCTAssertNotEqual(lstat(path, &info), 0, "the socket file is still there after stop")
        XCTAssertEqual(errno, ENOENT)
    }

    func testStaleSocketFileIsReplaced() throws {
        let path = try makeTemporaryDirectory(self) + "/stale.sock"
        try makeStaleSocketFile(at: path)
        let loop = try EventLoop()
        try loop.listen(.unix(path: path), allowRemote: false, onConnection: echo)
        let runner = LoopRunner(loop)
        runner.start()
        let fd = try TestSocket.connectUnix(path)
        try TestSocket.sendAll(fd, Array("ping".utf8))
        shutdown(fd, Int32(SHUT_WR))
        let answer = try TestSocket.readToEnd(fd)
        close(fd)
        runner.stopAndWait()
        XCTAssertEqual(String(decoding: answer, as: UTF8.self), "ping")
    }

    func testLiveSocketIsRefusedWithAClearError() throws {
        let path = try makeTemporaryDirectory(self) + "/live.sock"
        let first = try EventLoop()
        try first.listen(.unix(path: path), allowRemote: false, onConnection: echo)
        let second = try EventLoop()
        XCTAssertThrowsError(try second.listen(.unix(path: path), allowRemote: false, onConnection: echo)) { error in
            XCTAssertEqual(error as? LoopError, .socketInUse(path: path))
            XCTAssertTrue("\(error)".contains("another process is already listening"), "\(error)")
        }
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, "the live socket file must survive the refused attempt")
    }

    func testSomethingElseAtTheSocketPathIsLeftAlone() throws {
        let path = try makeTemporaryDirectory(self) + "/plain-file"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("keep".utf8)))
        let loop = try EventLoop()
        XCTAssertThrowsError(try loop.listen(.unix(path: path), allowRemote: false, onConnection: echo)) { error in
            XCTAssertEqual(error as? LoopError, .pathIsNotSocket(path: path))
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("keep".utf8))
    }

    func testNonLoopbackHostNeedsAllowRemote() throws {
        let loop = try EventLoop()
        for host in ["0.0.0.0", "::"] {
            XCTAssertThrowsError(try loop.listen(.tcp(host: host, port: 0), allowRemote: false, onConnection: echo)) {
                XCTAssertTrue("\($0)".contains("--allow-remote"), "\($0)")
            }
        }
        let socket = try loop.listen(.tcp(host: "0.0.0.0", port: 0), allowRemote: true, onConnection: echo)
        XCTAssertGreaterThan(socket.boundPort ?? 0, 0)
    }

    func testLocalhostResolvesToLoopback() throws {
        let loop = try EventLoop()
        let socket = try loop.listen(.tcp(host: "localhost", port: 0), allowRemote: false, onConnection: echo)
        XCTAssertGreaterThan(socket.boundPort ?? 0, 0)
    }

    func testPortInUseIsAnError() throws {
        let loop = try EventLoop()
        let socket = try loop.listen(.tcp(host: "127.0.0.1", port: 0), allowRemote: false, onConnection: echo)
        let port = try XCTUnwrap(socket.boundPort)
        XCTAssertThrowsError(
            try loop.listen(.tcp(host: "127.0.0.1", port: port), allowRemote: false, onConnection: echo)
        ) { error in
            XCTAssertTrue("\(error)".contains("EADDRINUSE"), "\(error)")
        }
    }

    /// A socket file whose listener is gone: bound, then closed without unlinking.
    private func makeStaleSocketFile(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes.prefix($0.count - 1)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        XCTAssertEqual(bound, 0)
        close(fd)
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0)
    }
}
