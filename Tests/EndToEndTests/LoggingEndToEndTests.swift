import Foundation
import XCTest

/// stdout carries protocol bytes only, and at the default log level stderr never holds document text.
final class LoggingEndToEndTests: DaemonTestCase {
    private let secret = "SECRET_DOCUMENT_TEXT_4711"

    func testDefaultLogLevelKeepsDocumentTextOutOfStderr() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .newlineDelimited)
        let uri = "file:///doc.txt"
        try stream.request(1, "initialize", ["capabilities": [:]])
        _ = try stream.response(id: 1)
        try stream.notify("initialized", [:])
        try stream.notify(
            "textDocument/didOpen",
            ["textDocument": ["uri": uri, "languageId": "text", "version": 1, "text": "a \(secret) b\n"]])
        try stream.notify(
            "textDocument/didChange",
            [
                "textDocument": ["uri": uri, "version": 2],
                "contentChanges": [
                    [
                        "range": ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 1]],
                        "text": secret,
                    ]
                ],
            ])
        // A change that does not apply: logged as a warning, which must name the field, not the text.
        try stream.notify(
            "textDocument/didChange",
            [
                "textDocument": ["uri": uri, "version": 3],
                "contentChanges": [
                    [
                        "range": ["start": ["line": 40, "character": 0], "end": ["line": 41, "character": 0]],
                        "text": secret,
                    ]
                ],
            ])
        try stream.request(
            2, "textDocument/inlineCompletion",
            ["textDocument": ["uri": uri], "position": ["line": 0, "character": 3], "context": ["triggerKind": 1]])
        try stream.request(3, "sedd/infill", ["prefix": secret, "suffix": secret, "length": 4, "steps": 2])
        try stream.request(4, "sedd/infill", ["prefix": secret, "steps": "many"])
        try stream.request(5, "sedd/infill", ["textDocument": ["uri": "file:///other.txt"], "ranges": []])
        // Answered before shutdown, so the successful paths are logged too.
        let answers = try (2...5).map { try stream.response(id: $0) }
        XCTAssertNotNil(answers[1].result, answers[1].text)
        XCTAssertEqual(answers[2].errorCode, -32602)
        XCTAssertEqual(answers[3].errorCode, -32602)
        try stream.sendRaw(Array("{\"jsonrpc\": \"2.0\", \"\(secret)\n".utf8))
        try stream.sendRaw(Array("\(secret) garbage\n".utf8))
        try stream.request(6, "shutdown")
        try stream.notify("exit")
        let messages = try stream.readToEnd()
        XCTAssertEqual(daemon.waitForExit(), .exited(0))
        XCTAssertEqual(
            Set(messages.filter(\.isResponse).compactMap(\.id)), [6],
            messages.map(\.text).joined(separator: "\n"))
        for message in messages { assertValidUTF8(message) }
        XCTAssertFalse(daemon.stderr.contains(secret), "stderr:\n\(daemon.stderr)")
        XCTAssertFalse(daemon.stderr.contains("4711"), "stderr:\n\(daemon.stderr)")
    }
}
