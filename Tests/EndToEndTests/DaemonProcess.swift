import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure of the test machinery itself (not of the daemon under test), with what went wrong.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// How a child process ended.
enum ProcessEnd: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    var description: String {
        switch self {
        case .exited(let code): return "exit code \(code)"
        case .signalled(let signal): return "signal \(signal)"
        }
    }
}

/// Where the child's standard input comes from.
enum ChildInput {
    /// A pipe the test writes to (`DaemonProcess.stdinFD`).
    case pipe
    /// A regular file, as in `sedd serve < requests.jsonl`.
    case file(String)
    /// `/dev/null`: for daemons that serve sockets only.
    case null
}

/// The real `sedd` binary run as a child process with `posix_spawn` (no shell): its stdin is a pipe, a
/// file or /dev/null, its stdout a pipe the test reads, its stderr a file the test can read at any time
/// (a file never fills up and blocks the child the way an unread pipe would).
final class DaemonProcess {
    let pid: pid_t
    let stderrPath: String
    /// The test's end of the child's stdin pipe (-1 unless `.pipe`, and after `closeStdin`).
    private(set) var stdinFD: Int32
    /// The test's end of the child's stdout pipe.
    let stdoutFD: Int32
    private var end: ProcessEnd?

    /// Starts `binary` with `arguments`. The test's pipe ends are close-on-exec, so no other child inherits
    /// them (an inherited write end would keep a daemon's stdin open forever).
    init(binary: String, arguments: [String], input: ChildInput, stderrPath: String) throws {
        self.stderrPath = stderrPath
        var outPipe: [Int32] = [-1, -1]
        guard DaemonProcess.makePipe(&outPipe) else { throw HarnessError("pipe2 for stdout: errno \(errno)") }
        var inPipe: [Int32] = [-1, -1]
        if case .pipe = input {
            guard DaemonProcess.makePipe(&inPipe) else { throw HarnessError("pipe2 for stdin: errno \(errno)") }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch input {
        case .pipe: posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0)
        case .null: posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, binary, &actions, nil, argv, environ)
        if inPipe[0] >= 0 { close(inPipe[0]) }
        close(outPipe[1])
        guard status == 0 else {
            if inPipe[1] >= 0 { close(inPipe[1]) }
            close(outPipe[0])
            throw HarnessError("posix_spawn \(binary): error \(status)")
        }
        pid = child
        stdinFD = inPipe[1]
        stdoutFD = outPipe[0]
    }

    /// A pipe whose both ends are close-on-exec (the child gets its ends through dup2, which clears it).
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    deinit {
        kill()
        if stdinFD >= 0 { close(stdinFD) }
        close(stdoutFD)
    }

    /// A stream over the child's stdin and stdout.
    func stdio(framing: Framing) -> MessageStream {
        MessageStream(readFD: stdoutFD, writeFD: stdinFD, framing: framing, ownsDescriptors: false)
    }

    /// Closes the test's end of stdin: the child sees end of input.
    func closeStdin() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    func signal(_ number: Int32) { sendSignal(pid, number) }

    /// How the child ended, waiting at most `timeout` seconds; nil if it is still running then.
    func waitForExit(timeout: TimeInterval = E2E.timeout) -> ProcessEnd? {
        let deadline = Date().addingTimeInterval(timeout)
        while end == nil {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                end = ProcessEnd(waitStatus: status)
            } else if result < 0 {
                return end
            } else if Date() > deadline {
                return nil
            } else {
                usleep(5_000)
            }
        }
        return end
    }

    /// Everything the child wrote to stderr so far.
    var stderr: String {
        (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    }

    /// Waits until stderr contains `text`; false on timeout or when the child exited first.
    func waitForStderr(containing text: String, timeout: TimeInterval = E2E.timeout) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stderr.contains(text) { return true }
            if waitForExit(timeout: 0) != nil { return stderr.contains(text) }
            usleep(10_000)
        }
        return false
    }

    /// SIGKILL unless it already ended; reaps it.
    func kill() {
        guard end == nil else { return }
        if waitForExit(timeout: 0) == nil {
            sendSignal(pid, SIGKILL)
            _ = waitForExit(timeout: 10)
        }
    }

    /// Reads stdout until end of file (the child closed it), bounded by `timeout`.
    func readAllStdout(timeout: TimeInterval = E2E.timeout) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw HarnessError("stdout did not end within \(timeout) s") }
            var descriptor = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(remaining, 1) * 1000))
            if ready < 0 && errno != EINTR { throw HarnessError("poll: errno \(errno)") }
            if ready <= 0 { continue }
            let count = read(stdoutFD, &chunk, chunk.count)
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw HarnessError("read stdout: errno \(errno)")
            }
            bytes += chunk[0..<count]
        }
    }
}

/// `kill(2)`, under a name that does not clash with `DaemonProcess.kill()`.
private func sendSignal(_ pid: pid_t, _ number: Int32) { _ = kill(pid, number) }

/// Shared settings and files of the end-to-end tests.
enum E2E {
    /// Every wait is bounded by this (seconds); generous, for debug and sanitizer builds on a busy machine.
    static let timeout: TimeInterval = 60

    /// The package root, from this file's path (Tests/EndToEndTests/DaemonProcess.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `sedd` binary: `SEDD_BINARY`, else the one built next to the test bundle.
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SEDD_BINARY"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw HarnessError("SEDD_BINARY=\(path) is not an executable file")
            }
            return path
        }
        var places = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0])]
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") { places.append(bundle.bundleURL) }
        for place in places {
            var directory = place.deletingLastPathComponent()
            for _ in 0..<3 {
                let candidate = directory.appendingPathComponent("sedd").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
        }
        throw HarnessError(
            "cannot find the sedd binary next to the test bundle (\(places.map(\.path))); "
                + "build it (swift build) or set SEDD_BINARY")
    }

    /// A fresh private directory under the system's temporary directory, with a short path (Unix socket
    /// paths are limited to 107 bytes).
    static func makeTemporaryDirectory() throws -> String {
        var template = Array("/tmp/sedd-e2e-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp: errno \(errno)") }
        return String(cString: made)
    }

    /// Runs `sedd` to completion with stdin from /dev/null; returns its end, stdout and stderr.
    static func run(_ arguments: [String], in directory: String, input: ChildInput = .null) throws
        -> (end: ProcessEnd?, stdout: String, stderr: String)
    {
        let process = try DaemonProcess(
            binary: try binary(), arguments: arguments, input: input,
            stderrPath: directory + "/run-\(UUID().uuidString.prefix(8)).err")
        let out = try process.readAllStdout()
        let end = process.waitForExit()
        process.kill()
        return (end, String(decoding: out, as: UTF8.self), process.stderr)
    }
}
