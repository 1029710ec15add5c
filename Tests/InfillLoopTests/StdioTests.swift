import CLibUV
import Foundation
import InfillLoop
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// The stdio code path (`attachStdio` is `attach(readFD: 0, writeFD: 1)`), fed by pipes, files and sockets.
final class StdioTests: XCTestCase {
    /// Echo that stops the loop once the input ended and the echo is flushed, like `sedd serve` on stdio.
    private func echoThenStop(_ loop: EventLoop) -> (LoopConnection) -> Void {
        { [unowned loop] connection in
            XCTAssertEqual(connection.kind, .stdio)
            connection.onData = { [unowned connection] bytes in connection.write(bytes) }
            connection.onEnd = { [unowned connection] in
                connection.close()
                loop.stop()
            }
        }
    }

    func testPipeInPipeOut() throws {
        let input = try makePipe()
        let output = try makePipe()
        let loop = try EventLoop()
        try loop.attach(readFD: input.read, writeFD: output.write, onConnection: echoThenStop(loop))
        let runner = LoopRunner(loop)
        runner.start()
        let payload = testPattern(count: 1 << 20, seed: 11)
        Thread {
            try? TestSocket.sendAll(input.write, payload)
            close(input.write)
        }.start()
        let received = try TestSocket.readToEnd(output.read)
        close(output.read)
        runner.waitUntilFinished()
        XCTAssertEqual(received.count, payload.count)
        XCTAssertTrue(sameBytes(received, payload))
        XCTAssertEqual(fcntl(input.read, F_GETFD), -1, "the connection owns and closes its descriptors")
        XCTAssertEqual(fcntl(output.write, F_GETFD), -1, "the connection owns and closes its descriptors")
    }

    func testRegularFileInRegularFileOut() throws {
        let directory = try makeTemporaryDirectory(self)
        let payload = testPattern(count: 300_000, seed: 12)
        let inputPath = directory + "/requests.jsonl"
        let outputPath = directory + "/responses.jsonl"
        XCTAssertTrue(FileManager.default.createFile(atPath: inputPath, contents: Data(payload)))
        let readFD = open(inputPath, O_RDONLY)
        let writeFD = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(readFD, 0)
        XCTAssertGreaterThanOrEqual(writeFD, 0)
        let loop = try EventLoop()
        try loop.attach(readFD: readFD, writeFD: writeFD, onConnection: echoThenStop(loop))
        let runner = LoopRunner(loop)
        runner.start()
        runner.waitUntilFinished()
        let written = try XCTUnwrap(FileManager.default.contents(atPath: outputPath))
        XCTAssertEqual(written.count, payload.count)
        XCTAssertTrue(sameBytes([UInt8](written), payload))
        XCTAssertEqual(fcntl(readFD, F_GETFD), -1, "the connection owns and closes its descriptors")
        XCTAssertEqual(fcntl(writeFD, F_GETFD), -1, "the connection owns and closes its descriptors")
    }

    func testRegularFileInPipeOut() throws {
        let directory = try makeTemporaryDirectory(self)
        let payload = Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sedd/status\"}\n".utf8)
        let inputPath = directory + "/one.jsonl"
        XCTAssertTrue(FileManager.default.createFile(atPath: inputPath, contents: Data(payload)))
        let output = try makePipe()
        let loop = try EventLoop()
        try loop.attach(readFD: open(inputPath, O_RDONLY), writeFD: output.write, onConnection: echoThenStop(loop))
        let runner = LoopRunner(loop)
        runner.start()
        let received = try TestSocket.readToEnd(output.read)
        close(output.read)
        runner.waitUntilFinished()
        XCTAssertEqual(received, payload)
    }

    /// `sedd serve < /dev/null`: end of input at once, answers still go out.
    func testDevNullInputEndsAtOnceAndOutputStillWorks() throws {
        let output = try makePipe()
        let loop = try EventLoop()
        let dataCalls = Locked(0)
        try loop.attach(readFD: open("/dev/null", O_RDONLY), writeFD: output.write) { [unowned loop] connection in
            connection.onData = { _ in dataCalls.withValue { $0 += 1 } }
            connection.onEnd = { [unowned connection] in
                connection.write(Array("bye\n".utf8))
                connection.close()
                loop.stop()
            }
        }
        let runner = LoopRunner(loop)
        runner.start()
        let received = try TestSocket.readToEnd(output.read)
        close(output.read)
        runner.waitUntilFinished()
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "bye\n")
        XCTAssertEqual(dataCalls.current, 0)
    }

    /// Stdio may be one socket for both directions (editors spawn servers over socketpairs).
    func testOneSocketForBothDirections() throws {
        var pair: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair), 0)
        TestSocket.setTimeouts(pair[1])
        let loop = try EventLoop()
        try loop.attach(readFD: pair[0], writeFD: pair[0], onConnection: echoThenStop(loop))
        let runner = LoopRunner(loop)
        runner.start()
        let payload = testPattern(count: 200_000, seed: 13)
        try TestSocket.sendAll(pair[1], payload)
        shutdown(pair[1], Int32(SHUT_WR))
        let received = try TestSocket.readToEnd(pair[1])
        close(pair[1])
        runner.waitUntilFinished()
        XCTAssertTrue(sameBytes(received, payload))
    }

    func testUnsupportedDescriptorsAreRefused() throws {
        let loop = try EventLoop()
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(udp) }
        let output = try makePipe()
        defer {
            close(output.read)
            close(output.write)
        }
        XCTAssertThrowsError(try loop.attach(readFD: udp, writeFD: output.write) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("UDP socket"), "\(error)")
        }
        XCTAssertThrowsError(try loop.attach(readFD: 987, writeFD: output.write) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("not open"), "\(error)")
        }
    }

    private func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw TestSocket.Failure(what: "pipe", code: errno) }
        return (fds[0], fds[1])
    }
}

/// `sedd serve` typed at a terminal: stdin and stdout are the same pseudo-terminal, on two descriptors.
final class TerminalStdioTests: XCTestCase {
    func testTerminalInTerminalOut() throws {
        guard let pty = PseudoTerminalCalls() else { throw XCTSkip("no pseudo-terminal calls in this libc") }
        let master = pty.openMaster(O_RDWR | O_NOCTTY)
        guard master >= 0, pty.grant(master) == 0, pty.unlock(master) == 0, let name = pty.slaveName(master) else {
            throw XCTSkip("no pseudo-terminals here")
        }
        defer { close(master) }
        let terminalIn = open(String(cString: name), O_RDWR | O_NOCTTY)
        XCTAssertGreaterThanOrEqual(terminalIn, 0)
        var mode = termios()
        tcgetattr(terminalIn, &mode)
        cfmakeraw(&mode)  // no echo, no line editing, no newline translation: bytes as they are
        tcsetattr(terminalIn, TCSANOW, &mode)
        let terminalOut = dup(terminalIn)

        let loop = try EventLoop()
        let message = Array("hello terminal".utf8)
        var received: [UInt8] = []
        try loop.attach(readFD: terminalIn, writeFD: terminalOut) { [unowned loop] connection in
            connection.onData = { [unowned connection] bytes in
                received += bytes
                if received.count >= message.count {
                    connection.write(Array(received.reversed()))
                    connection.close()
                    loop.stop()
                }
            }
        }
        let runner = LoopRunner(loop)
        runner.start()
        XCTAssertEqual(write(master, message, message.count), message.count)
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        while answer.count < message.count, poll(&poller, 1, Int32(testTimeout * 1000)) > 0 {
            let count = read(master, &chunk, chunk.count)
            if count <= 0 { break }
            answer += chunk[0..<count]
        }
        runner.waitUntilFinished()
        XCTAssertEqual(received, message)
        XCTAssertEqual(answer, Array(message.reversed()))
        // Both descriptors were handed over, so both are closed now (libuv worked on reopened copies).
        XCTAssertEqual(fcntl(terminalIn, F_GETFD), -1)
        XCTAssertEqual(fcntl(terminalOut, F_GETFD), -1)
    }
}

/// posix_openpt and friends, which the Glibc module leaves out (they need _XOPEN_SOURCE), looked up in libc.
private struct PseudoTerminalCalls {
    typealias OpenMaster = @convention(c) (Int32) -> Int32
    typealias OnMaster = @convention(c) (Int32) -> Int32
    typealias SlaveName = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
    let openMaster: OpenMaster
    let grant: OnMaster
    let unlock: OnMaster
    let slaveName: SlaveName

    init?() {
        guard let libc = dlopen(nil, RTLD_NOW), let open = dlsym(libc, "posix_openpt"),
            let grant = dlsym(libc, "grantpt"), let unlock = dlsym(libc, "unlockpt"),
            let name = dlsym(libc, "ptsname")
        else { return nil }
        openMaster = unsafeBitCast(open, to: OpenMaster.self)
        self.grant = unsafeBitCast(grant, to: OnMaster.self)
        self.unlock = unsafeBitCast(unlock, to: OnMaster.self)
        slaveName = unsafeBitCast(name, to: SlaveName.self)
    }
}
