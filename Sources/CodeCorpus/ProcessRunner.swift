import Foundation

/// Runs external tools (git, apt-get, dpkg-deb, tar) and turns failures into `CorpusError`s.
enum ProcessRunner {
    struct Output {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// Runs `arguments[0]` (looked up on PATH) and returns its output whatever the exit status.
    static func capture(_ arguments: [String], in directory: URL? = nil) throws -> Output {
        precondition(!arguments.isEmpty, "a command needs a program name")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CorpusError.commandNotStarted(command: display(arguments), reason: "\(error)")
        }
        // Drain stderr on another thread so neither pipe can fill up and stall the child.
        let errorBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            standardOutput: String(decoding: out, as: UTF8.self),
            standardError: String(decoding: errorBox.data, as: UTF8.self))
    }

    /// Runs a command and returns its standard output, throwing if it exits non-zero.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> String {
        let output = try capture(arguments, in: directory)
        guard output.status == 0 else {
            throw CorpusError.commandFailed(
                command: display(arguments), status: output.status, stderr: output.standardError)
        }
        return output.standardOutput
    }

    /// A shell pipeline whose variable parts arrive as positional parameters, never spliced into
    /// the script, so paths with spaces or quotes stay safe.
    static func pipeline(_ script: String, _ parameters: [String], in directory: URL? = nil) throws {
        let output = try capture(["bash", "-c", "set -o pipefail; " + script, "bash"] + parameters, in: directory)
        guard output.status == 0 else {
            let shown = parameters.enumerated().reduce(script) {
                $0.replacingOccurrences(of: "\"$\($1.offset + 1)\"", with: $1.element)
            }
            throw CorpusError.commandFailed(command: shown, status: output.status, stderr: output.standardError)
        }
    }

    private static func display(_ arguments: [String]) -> String {
        arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    private final class DataBox: @unchecked Sendable {
        var data = Data()
    }
}
