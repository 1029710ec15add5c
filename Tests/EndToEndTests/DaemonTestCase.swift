import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Base class of the end-to-end tests: a tiny model made once per test class with the real
/// `sedd init --config configs/tiny-bytes.json`, a temporary directory per test, and every daemon the
/// test started killed in `tearDown` (so a failing test never leaves a process behind).
class DaemonTestCase: XCTestCase {
    private static var models: [ObjectIdentifier: String] = [:]
    private static let modelsLock = NSLock()

    /// The model directory of this test class.
    var modelDirectory: String {
        DaemonTestCase.modelsLock.withLock { DaemonTestCase.models[ObjectIdentifier(type(of: self))] } ?? ""
    }
    /// A fresh directory for this test's sockets, stderr files and inputs.
    private(set) var directory = ""
    private var processes: [DaemonProcess] = []

    override class func setUp() {
        super.setUp()
        // A daemon that died mid-test must fail the test through EPIPE, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        do {
            let root = try E2E.makeTemporaryDirectory()
            let config = E2E.packageRoot.appendingPathComponent("configs/tiny-bytes.json").path
            let made = try E2E.run(["init", "--config", config, "--out", root + "/model"], in: root)
            guard made.end == .exited(0) else {
                throw HarnessError("sedd init failed (\(made.end?.description ?? "timeout")): \(made.stderr)")
            }
            modelsLock.withLock { models[ObjectIdentifier(self)] = root + "/model" }
        } catch {
            // The instance's setUp reports it; a class setUp cannot fail a test.
            FileHandle.standardError.write(Data("EndToEndTests: cannot make the tiny model: \(error)\n".utf8))
        }
    }

    override class func tearDown() {
        if let model = modelsLock.withLock({ models.removeValue(forKey: ObjectIdentifier(self)) }) {
            try? FileManager.default.removeItem(atPath: (model as NSString).deletingLastPathComponent)
        }
        super.tearDown()
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard !modelDirectory.isEmpty else { throw HarnessError("no tiny model (see the log above)") }
        directory = try E2E.makeTemporaryDirectory()
    }

    override func tearDown() {
        for process in processes { process.kill() }
        processes.removeAll()
        if !directory.isEmpty { try? FileManager.default.removeItem(atPath: directory) }
        super.tearDown()
    }

    // MARK: - Starting daemons

    /// Starts `sedd serve --model <tiny> <arguments>`.
    func startDaemon(_ arguments: [String], input: ChildInput = .pipe, name: String = "daemon") throws
        -> DaemonProcess
    {
        try start(["serve", "--model", modelDirectory] + arguments, input: input, name: name)
    }

    /// Starts `sedd <arguments>` (any subcommand); killed in tearDown.
    func start(_ arguments: [String], input: ChildInput = .null, name: String) throws -> DaemonProcess {
        let process = try DaemonProcess(
            binary: try E2E.binary(), arguments: arguments, input: input,
            stderrPath: "\(directory)/\(name)-\(processes.count).err")
        processes.append(process)
        return process
    }

    /// A daemon on a Unix socket in this test's directory, accepting once this returns.
    func startUnixDaemon(path: String? = nil, _ extra: [String] = []) throws -> (DaemonProcess, String) {
        let address = "unix:" + (path ?? directory + "/s.sock")
        let daemon = try startDaemon(["--listen", address] + extra, input: .null)
        try SocketConnection.waitUntilAccepting(address)
        return (daemon, address)
    }

    /// A daemon on TCP port 0 of the loopback; the port it got is read from its `listening on` log line.
    func startTCPDaemon(_ extra: [String] = []) throws -> (DaemonProcess, String) {
        let daemon = try startDaemon(["--listen", "tcp:127.0.0.1:0", "--log-level", "info"] + extra, input: .null)
        guard daemon.waitForStderr(containing: "ready in") else {
            throw HarnessError("the TCP daemon did not become ready: \(daemon.stderr)")
        }
        guard let line = daemon.stderr.split(separator: "\n").first(where: { $0.contains("listening on tcp:") }),
            let address = line.split(separator: " ").last
        else { throw HarnessError("no 'listening on tcp:' line in: \(daemon.stderr)") }
        return (daemon, String(address))
    }

    // MARK: - Requests

    /// A small fast infill (text shape).
    static func smallInfill(prefix: String = "a", suffix: String = "b", seed: Int = 1) -> [String: Any] {
        ["prefix": prefix, "suffix": suffix, "length": 6, "steps": 3, "seed": seed]
    }

    /// An infill that runs for a long time on the tiny model (minutes in a debug build): cancellation tests
    /// use it, so "cancelled" cannot be confused with "finished first".
    static let slowInfill: [String: Any] = ["prefix": "a", "suffix": "b", "length": 100, "steps": 1024, "n": 8]

    /// Asserts that a body is valid UTF-8 and carries no lone-surrogate escape.
    func assertValidUTF8(_ received: Received, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotNil(
            String(validating: received.body, as: UTF8.self), "not UTF-8: \(received.body)", file: file, line: line)
        let lowered = received.text.lowercased()
        for high in ["\\ud8", "\\ud9", "\\uda", "\\udb", "\\udc", "\\udd", "\\ude", "\\udf"] {
            XCTAssertFalse(lowered.contains(high), "a surrogate escape in \(received.text)", file: file, line: line)
        }
    }

    /// Polls `sedd/status` on `stream` until `condition` holds for it (bounded); returns the last status.
    func waitForStatus(
        _ stream: MessageStream, firstID: Int, timeout: TimeInterval = E2E.timeout,
        until condition: ([String: Any]) -> Bool
    ) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var id = firstID
        while true {
            try stream.request(id, "sedd/status")
            let status = try stream.response(id: id).result ?? [:]
            if condition(status) || Date() > deadline { return status }
            id += 1
            usleep(20_000)
        }
    }
}
