import CLibUV  // sys/socket.h declarations (SOCK_STREAM, ...) that the Glibc module map leaves out
import Foundation
import InfillLoop
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Bounds every wait in these tests, so a hang fails instead of blocking the suite.
let testTimeout: TimeInterval = 60

/// Runs an `EventLoop` on a background thread (set it up first, on the test thread) and waits for
/// `run()` to return. Everything the loop's callbacks record is read only after that, so the thread start
/// and the semaphore order every access.
final class LoopRunner: @unchecked Sendable {
    let loop: EventLoop
    private let finished = DispatchSemaphore(value: 0)

    init(_ loop: EventLoop) { self.loop = loop }

    func start() {
        let thread = Thread { [self] in
            loop.run()
            finished.signal()
        }
        thread.start()
    }

    /// Waits for `run()` to return by itself (the test's callbacks call `stop()`).
    func waitUntilFinished(file: StaticString = #filePath, line: UInt = #line) {
        if finished.wait(timeout: .now() + testTimeout) == .timedOut {
            XCTFail("the event loop did not finish within \(testTimeout) s", file: file, line: line)
            loop.stop()
            _ = finished.wait(timeout: .now() + testTimeout)
        }
    }

    func stopAndWait(file: StaticString = #filePath, line: UInt = #line) {
        loop.stop()
        waitUntilFinished(file: file, line: line)
    }
}

/// A value shared between the loop thread and the test thread.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withValue<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
    var current: Value { withValue { $0 } }
}

/// State touched only by the loop thread while it runs, and by the test after `run()` returned.
final class LoopThreadOnly<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A fresh directory for socket files, removed at the end of the test. Short, because socket paths are
/// limited to 107 bytes.
func makeTemporaryDirectory(_ testCase: XCTestCase) throws -> String {
    var template = Array("/tmp/sedd-loop-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
    let path = String(cString: made)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Distinct, order-sensitive bytes per seed (xorshift), so a swap or a loss shows up in the comparison.
/// Written word by word: a per-byte `map` takes a third of a second per megabyte in a debug build.
func testPattern(count: Int, seed: Int) -> [UInt8] {
    var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        let target = UnsafeMutableRawBufferPointer(buffer)
        var offset = 0
        while offset < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            let take = min(8, count - offset)
            withUnsafeBytes(of: state) {
                target.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: take)
            }
            offset += take
        }
        initialized = count
    }
}

/// Byte equality through memcmp (an element-wise `==` is slow in a debug build).
func sameBytes(_ left: [UInt8], _ right: [UInt8]) -> Bool {
    guard left.count == right.count else { return false }
    if left.isEmpty { return true }
    return left.withUnsafeBytes { l in
        right.withUnsafeBytes { r in memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0 }
    }
}

/// Plain blocking client sockets with receive/send timeouts, for the far side of the tests.
enum TestSocket {
    struct Failure: Error, CustomStringConvertible {
        let what: String
        let code: Int32
        var description: String { "\(what): \(String(cString: strerror(code)))" }
    }

    static func connectUnix(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(what: "socket", code: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes.prefix($0.count - 1)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure(what: "connect unix:\(path)", code: code)
        }
        setTimeouts(fd)
        return fd
    }

    static func connectTCP(host: String, port: Int) throws -> Int32 {
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        if host.contains(":") {
            family = AF_INET6
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            _ = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_addr(host, Int32(port), $0) }
            }
        } else {
            family = AF_INET
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_addr(host, Int32(port), $0) }
            }
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(what: "socket", code: errno) }
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure(what: "connect \(host):\(port)", code: code)
        }
        setTimeouts(fd)
        return fd
    }

    static func setTimeouts(_ fd: Int32) {
        var timeout = timeval(tv_sec: Int(testTimeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw Failure(what: "write", code: errno)
            }
            offset += sent
        }
    }

    /// Reads until end of file (or `limit` bytes).
    static func readToEnd(_ fd: Int32, limit: Int = .max) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while result.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, min($0.count, limit - result.count)) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(what: "read", code: errno)
            }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }
}

/// Runs `body(index)` for `count` indices on separate threads and waits for all of them.
func runConcurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            body(index)
            group.leave()
        }.start()
    }
    if group.wait(timeout: .now() + testTimeout) == .timedOut {
        XCTFail("client threads did not finish within \(testTimeout) s")
    }
}

/// An echo service: every byte goes back; end of input closes after the echo is flushed.
func echo(_ connection: LoopConnection) {
    connection.onData = { [unowned connection] bytes in connection.write(bytes) }
    connection.onEnd = { [unowned connection] in connection.close() }
}
