import Foundation
import XCTest

/// `$/cancelRequest`, supersede of inline completions, and a client that goes away mid-request, against
/// the real engine. The cancelled work is an infill that would run for minutes, so an answer within the
/// test's timeout can only come from cancellation.
final class CancellationEndToEndTests: DaemonTestCase {
    func testCancelRequestIsAnsweredWithRequestCancelled() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .newlineDelimited)
        // Both in one write: the cancel reaches the daemon while the job is queued or on its first steps.
        let request: [String: Any] = [
            "jsonrpc": "2.0", "id": 1, "method": "sedd/infill", "params": DaemonTestCase.slowInfill,
        ]
        let cancel: [String: Any] = ["jsonrpc": "2.0", "method": "$/cancelRequest", "params": ["id": 1]]
        try stream.sendRaw(
            Framing.newlineDelimited.frame(try MessageStream.encode(request))
                + Framing.newlineDelimited.frame(try MessageStream.encode(cancel)))
        let cancelled = try stream.response(id: 1)
        XCTAssertEqual(cancelled.errorCode, -32800, cancelled.text)
        try stream.request(2, "sedd/infill", DaemonTestCase.smallInfill())
        XCTAssertNotNil(try stream.response(id: 2).result, "the worker is free again")
        try stream.request(3, "sedd/status")
        let status = try XCTUnwrap(try stream.response(id: 3).result)
        XCTAssertEqual(status["cancelled"] as? Int, 1)
        XCTAssertEqual(status["served"] as? Int, 1)
    }

    func testANewerInlineCompletionSupersedesTheOlderOne() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .contentLength)
        let uri = "file:///tmp/sample.swift"
        try stream.request(
            1, "initialize",
            ["capabilities": [:], "initializationOptions": ["steps": 1024, "span": 100]])
        XCTAssertNotNil(try stream.response(id: 1).result)
        try stream.notify("initialized", [:])
        try stream.notify(
            "textDocument/didOpen",
            ["textDocument": ["uri": uri, "languageId": "swift", "version": 1, "text": "func f() {\n    \n}\n"]])
        let position: [String: Any] = ["line": 1, "character": 4]
        try stream.request(10, "textDocument/inlineCompletion", ["textDocument": ["uri": uri], "position": position])
        // The newer request is cheap, so the whole test stays fast.
        try stream.notify("workspace/didChangeConfiguration", ["settings": ["sedd": ["steps": 2, "span": 4]]])
        try stream.request(11, "textDocument/inlineCompletion", ["textDocument": ["uri": uri], "position": position])
        let older = try stream.response(id: 10)
        XCTAssertEqual(older.errorCode, -32800, "superseded: \(older.text)")
        let newer = try stream.response(id: 11)
        let items = try XCTUnwrap(newer.result?["items"] as? [[String: Any]], newer.text)
        for item in items {
            XCTAssertNotNil(item["insertText"] as? String)
            XCTAssertNotNil(item["range"] as? [String: Any])
        }
        assertValidUTF8(newer)
    }

    func testAClientDisconnectingMidRequestHasItsWorkCancelledAndOthersAreServed() throws {
        let (_, address) = try startUnixDaemon()
        let leaving = try MessageStream.connect(address, framing: .newlineDelimited)
        let staying = try MessageStream.connect(address, framing: .contentLength)
        try leaving.request(1, "sedd/infill", DaemonTestCase.slowInfill)
        let running = try waitForStatus(staying, firstID: 100) { ($0["running"] as? Bool) == true }
        XCTAssertEqual(running["running"] as? Bool, true, "the slow job started")
        leaving.close()
        try staying.request(1, "sedd/infill", DaemonTestCase.smallInfill())
        let answer = try staying.response(id: 1)
        XCTAssertNotNil(answer.result, answer.text)
        let status = try waitForStatus(staying, firstID: 200) { ($0["cancelled"] as? Int) == 1 }
        XCTAssertEqual(status["cancelled"] as? Int, 1, "the leaving client's job was cancelled: \(status)")
        XCTAssertEqual(status["served"] as? Int, 1, "only the staying client's job ran to the end: \(status)")
        XCTAssertEqual(status["connections"] as? Int, 1, "the leaving connection is gone: \(status)")
    }
}
