import ArgumentParser
import Foundation
import InfillEngine
import InfillLoop
import InfillScheduler
import InfillServer

/// `sedd serve`: the composition root of the daemon. It wires the rooms: one libuv loop (stdio and
/// listeners), the server (per-connection protocol state, on the loop thread), the scheduler (queue
/// and the model's worker thread) and the engine behind it. Results come back through the loop's
/// mailbox; only the loop thread touches libuv, only the worker touches the model.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve infills over JSON-RPC 2.0 (LSP or newline-delimited framing) on stdio and sockets.",
        discussion: "With no --listen, serves one client on stdin/stdout. Logs go to stderr. See docs/protocol.md.")

    @Option(help: "A model directory (default: the embedded default model).") var model: String?
    @Option(help: "Listen on unix:PATH or tcp:HOST:PORT (repeatable).") var listen: [String] = []
    @Flag(help: "Also serve stdio when --listen is given.") var stdio = false
    @Flag(help: "Allow TCP listeners on non-loopback addresses.") var allowRemote = false
    @Option(help: "A file holding a token every socket client must send first with sedd/authenticate.") var tokenFile: String?
    @Option(help: "Default denoising steps (1 to 1024).") var steps: Int = 16
    @Option(help: "Default hole size in tokens.") var span: Int = 32
    @Option(help: "Default sampler: analytic or euler.") var sampler: String = "analytic"
    @Option(help: "Requests allowed to wait in the queue.") var maxQueue: Int = 16
    @Option(help: "Largest working set of one request, e.g. 512M or 2G (default: no limit).") var maxMemory: String?
    @Option(help: "Largest message or line, in bytes.") var maxMessageBytes: Int = 8 << 20
    @Option(help: "error, warning, info or debug.") var logLevel: String = "warning"
    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var engine: EngineOptions

    func run() throws {
        let started = DispatchTime.now().uptimeNanoseconds
        try engine.apply()
        guard let level = LogLevel(name: logLevel) else { throw CLIError("--log-level must be error, warning, info or debug, got '\(logLevel)'") }
        guard let samplerKind = SamplerKind(rawValue: sampler) else { throw CLIError("--sampler must be analytic or euler, got '\(sampler)'") }
        guard (1...1024).contains(steps) else { throw CLIError("--steps must be 1 to 1024, got \(steps)") }
        guard (1...65536).contains(span) else { throw CLIError("--span must be 1 to 65536, got \(span)") }
        guard maxQueue >= 1 else { throw CLIError("--max-queue must be at least 1, got \(maxQueue)") }
        guard maxMessageBytes >= 1024 else { throw CLIError("--max-message-bytes must be at least 1024, got \(maxMessageBytes)") }
        let memoryLimit = try maxMemory.map(parseBytes)
        let addresses = try listen.map { text -> ListenAddress in
            do { return try ListenAddress(parsing: text) } catch { throw CLIError("--listen \(text): \(error)") }
        }
        var token: String? = nil
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile), let text = String(data: data, encoding: .utf8),
                !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            else { throw CLIError("--token-file \(tokenFile): cannot read a non-empty token from it") }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        let log = StderrLog(level: level)
        let engineInstance = try InfillEngine.load(modelDirectory: DefaultModel.resolve(model))
        let backend = EngineBackend(engine: engineInstance)
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw CLIError("cannot start the event loop: \(error)") }
        loop.onDiagnostic = { log.write(.debug, $0) }
        let mailbox = loop.makeMailbox()
        let scheduler = InfillScheduler(
            backend: backend, configuration: SchedulerConfiguration(maxQueue: maxQueue, maxMemoryBytes: memoryLimit),
            deliver: { mailbox.post($0) })
        let server = InfillServer(
            configuration: ServerConfiguration(
                serverVersion: Sedd.version, defaultSteps: steps, defaultSpan: span, defaultSampler: samplerKind,
                maxMessageBytes: maxMessageBytes, authToken: token, defaultTemperature: decoding.temperature,
                defaultUnmasking: decoding.unmaskingKind, defaultContextRefresh: decoding.contextRefresh),
            scheduler: scheduler, backendInfo: backend.info, log: { log.write($0, $1) })

        func accept(_ lc: LoopConnection, requiresAuth: Bool) {
            let kind: ServerConnectionKind
            switch lc.kind {
            case .stdio: kind = .stdio
            case .unix: kind = .unix
            case .tcp: kind = .tcp
            }
            let sc = server.open(
                connectionID: lc.id, kind: kind, requiresAuth: requiresAuth,
                send: { [weak lc] in lc?.write($0) }, close: { [weak lc] in lc?.close() })
            lc.onData = { sc.receive($0) }
            lc.onEnd = { sc.endOfInput() }
            sc.pauseInput = { [weak lc] in lc?.pauseReading() }
            sc.resumeInput = { [weak lc] in lc?.resumeReading() }
        }

        var exitCode: Int32 = 0
        server.onExitRequested = { code in
            exitCode = code
            scheduler.stop()
            loop.stop()
        }
        loop.onSignals { signal in
            log.write(.info, "signal \(signal): shutting down")
            server.shutdown {
                scheduler.stop()
                loop.stop()
            }
        }
        scheduler.start()
        for address in addresses {
            do {
                let socket = try loop.listen(address, allowRemote: allowRemote) { accept($0, requiresAuth: token != nil) }
                log.write(.info, "listening on \(socket.bound)")
            } catch {
                throw CLIError("--listen \(address): \(error)")
            }
        }
        if addresses.isEmpty || stdio {
            do { try loop.attachStdio { accept($0, requiresAuth: false) } } catch { throw CLIError("stdio: \(error)") }
        }
        server.startupMs = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        log.write(.info, "ready in \(Int(server.startupMs!)) ms: model \(backend.info.modelName)")
        loop.run()
        throw ExitCode(exitCode)
    }

    private func parseBytes(_ text: String) throws -> Int {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = text.uppercased()
        var scale = 1
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits.removeLast()
        }
        guard let n = Int(digits), n > 0 else { throw CLIError("--max-memory must be a size like 512M or 2G, got '\(text)'") }
        return n * scale
    }
}

/// Log lines to stderr (never stdout: it carries protocol bytes), filtered by level.
final class StderrLog: @unchecked Sendable {
    let level: LogLevel
    private let lock = NSLock()
    init(level: LogLevel) { self.level = level }

    func write(_ lineLevel: LogLevel, _ line: String) {
        guard lineLevel <= level else { return }
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("sedd: \(lineLevel): \(line)\n".utf8))
    }
}
