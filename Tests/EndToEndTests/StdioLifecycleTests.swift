import Foundation
import XCTest

/// `sedd serve` on stdin/stdout: the LSP lifecycle and its exit codes, end of input, stdin as a file.
final class StdioLifecycleTests: DaemonTestCase {
    func testInitializeShutdownExitOverContentLengthExitsZero() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .contentLength)
        try stream.request(1, "textDocument/inlineCompletion", ["textDocument": ["uri": "file:///x"]])
        XCTAssertEqual(try stream.response(id: 1).errorCode, -32002, "an LSP request before initialize")

        try stream.request(2, "initialize", ["capabilities": [:], "processId": NSNull()])
        let initialized = try stream.response(id: 2)
        let result = try XCTUnwrap(initialized.result)
        XCTAssertEqual((result["serverInfo"] as? [String: Any])?["name"] as? String, "sedd")
        XCTAssertEqual((result["capabilities"] as? [String: Any])?["positionEncoding"] as? String, "utf-16")
        XCTAssertEqual((result["sedd"] as? [String: Any])?["contextLength"] as? Int, 128, "tiny-bytes has length 128")
        try stream.notify("initialized", [:])

        try stream.request(3, "shutdown")
        let shutdown = try stream.response(id: 3)
        XCTAssertTrue(shutdown.object["result"] is NSNull, "shutdown answers null: \(shutdown.text)")
        try stream.request(4, "sedd/status")
        XCTAssertEqual(try stream.response(id: 4).errorCode, -32600, "requests after shutdown are invalid")
        try stream.notify("exit")
        XCTAssertTrue(stream.waitForEnd(), "stdout closes after exit")
        XCTAssertEqual(daemon.waitForExit(), .exited(0))
    }

    func testExitWithoutShutdownExitsOne() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .newlineDelimited)
        try stream.request(1, "initialize", ["capabilities": [:]])
        XCTAssertNotNil(try stream.response(id: 1).result)
        try stream.notify("exit")
        XCTAssertEqual(daemon.waitForExit(), .exited(1))
    }

    func testExitAnswersTheRequestsStillInFlight() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .newlineDelimited)
        try stream.request(0, "initialize", ["capabilities": [:]])
        XCTAssertNotNil(try stream.response(id: 0).result)
        try stream.request(1, "sedd/infill", DaemonTestCase.slowInfill)
        try stream.request(2, "sedd/infill", DaemonTestCase.smallInfill())
        try stream.request(3, "shutdown")
        try stream.notify("exit")
        let messages = try stream.readToEnd()
        let responses = messages.filter(\.isResponse)
        XCTAssertEqual(
            responses.compactMap(\.id).sorted(), [1, 2, 3], "exactly one answer each: \(messages.map(\.text))")
        XCTAssertEqual(responses.first { $0.id == 1 }?.errorCode, -32800, "the running job is cancelled, and answered")
        XCTAssertEqual(daemon.waitForExit(), .exited(0))
    }

    func testEndOfInputAnswersEverythingThenExitsZero() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .newlineDelimited)
        for id in 1...3 { try stream.request(id, "sedd/infill", DaemonTestCase.smallInfill(seed: id)) }
        try stream.request(4, "sedd/status")
        daemon.closeStdin()
        let responses = try stream.readToEnd().filter(\.isResponse)
        XCTAssertEqual(responses.compactMap(\.id).sorted(), [1, 2, 3, 4])
        for response in responses where response.id != 4 {
            XCTAssertEqual((response.result?["items"] as? [Any])?.count, 1, response.text)
        }
        XCTAssertEqual(daemon.waitForExit(), .exited(0))
    }

    func testStdinAsARegularFile() throws {
        let lines = try (1...3).map { id -> String in
            let request: [String: Any] = [
                "jsonrpc": "2.0", "id": id, "method": "sedd/infill", "params": DaemonTestCase.smallInfill(seed: id),
            ]
            return String(decoding: try MessageStream.encode(request), as: UTF8.self)
        }
        // The last line has no newline: end of file ends it.
        let path = directory + "/requests.jsonl"
        try Data((lines.joined(separator: "\n")).utf8).write(to: URL(fileURLWithPath: path))
        let daemon = try startDaemon([], input: .file(path))
        let output = try daemon.readAllStdout()
        XCTAssertEqual(daemon.waitForExit(), .exited(0), daemon.stderr)
        let replies = output.split(separator: 0x0A).map {
            (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any]
        }
        XCTAssertEqual(
            replies.compactMap { $0?["id"] as? Int }.sorted(), [1, 2, 3], String(decoding: output, as: UTF8.self))
        XCTAssertTrue(replies.allSatisfy { $0?["result"] != nil })
    }

    func testSameSeedSameParamsGiveTheSameFill() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .newlineDelimited)
        try stream.request(1, "sedd/infill", DaemonTestCase.smallInfill(seed: 42))
        try stream.request(2, "sedd/infill", DaemonTestCase.smallInfill(seed: 42))
        let first = try XCTUnwrap(try stream.response(id: 1).result?["items"] as? [[String: Any]])
        let second = try XCTUnwrap(try stream.response(id: 2).result?["items"] as? [[String: Any]])
        XCTAssertEqual(first.first?["fills"] as? [String], second.first?["fills"] as? [String])
    }
}
