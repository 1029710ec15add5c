import InfillProtocol
import InfillServer
import XCTest

final class InlineCompletionTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUp() { harness = ServerHarness() }
    override func tearDown() { harness.stop() }

    private func inline(
        _ client: TestClient, id: Int, line: Int, character: Int, uri: String = "file:///a.swift",
        context: String = #"{"triggerKind":2}"#
    ) {
        client.send(
            #"{"jsonrpc":"2.0","id":\#(id),"method":"textDocument/inlineCompletion","params":{"textDocument":{"uri":"\#(uri)"},"position":{"line":\#(line),"character":\#(character)},"context":\#(context)}}"#
        )
    }

    func testCompletesAtTheCursorWithAnInsertionRange() throws {
        let client = harness.client()
        client.initialize()
        client.open(uri: "file:///a.swift", text: "let 😀 = 1\nprint(x)\n")
        inline(client, id: 1, line: 0, character: 6)
        let result = try XCTUnwrap(client.waitForResponse(id: 1)?["result"])
        let items = try XCTUnwrap(result["items"]?.arrayValue)
        XCTAssertEqual(items.count, 1, "automatic trigger: one item")
        XCTAssertEqual(items.first?["insertText"], .string(EchoBackend.fill(hole: 0, candidate: 0)))
        XCTAssertEqual(
            items.first?["range"], ["start": ["line": 0, "character": 6], "end": ["line": 0, "character": 6]])
        let job = try XCTUnwrap(harness.backend.jobs.last)
        XCTAssertEqual(job.segments, ["let 😀", " = 1\nprint(x)\n"], "utf-16 column 6 is just after the emoji")
        XCTAssertEqual(job.languageID, "swift")
        XCTAssertEqual(job.holeLengths, [32])
    }

    func testInvokedTriggerAsksForSeveralCandidates() throws {
        let client = harness.client()
        client.initialize()
        client.open(uri: "file:///a.swift", text: "abc")
        inline(client, id: 1, line: 0, character: 3, context: #"{"triggerKind":1}"#)
        let items = try XCTUnwrap(client.waitForResponse(id: 1)?["result"]?["items"]?.arrayValue)
        XCTAssertEqual(items.count, 3)
    }

    func testSelectedCompletionIsExtendedOverItsRange() throws {
        let client = harness.client()
        client.initialize()
        client.open(uri: "file:///a.swift", text: "foo.pr\n")
        inline(
            client, id: 1, line: 0, character: 6,
            context:
                #"{"triggerKind":2,"selectedCompletionInfo":{"range":{"start":{"line":0,"character":4},"end":{"line":0,"character":6}},"text":"print"}}"#
        )
        let item = try XCTUnwrap(client.waitForResponse(id: 1)?["result"]?["items"]?.arrayValue?.first)
        XCTAssertEqual(item["insertText"], .string("print" + EchoBackend.fill(hole: 0, candidate: 0)))
        XCTAssertEqual(item["range"], ["start": ["line": 0, "character": 4], "end": ["line": 0, "character": 6]])
        XCTAssertEqual(harness.backend.jobs.last?.segments, ["foo.print", "\n"])
    }

    func testNewerCompletionSupersedesOlderOnesForTheSameDocument() throws {
        let client = harness.client()
        client.initialize()
        client.open(uri: "file:///a.swift", text: "abc\n")
        client.open(uri: "file:///b.swift", text: "xyz\n")
        harness.backend.hold()
        inline(client, id: 1, line: 0, character: 1)
        XCTAssertEqual(harness.backend.started.wait(timeout: .now() + 30), .success)
        inline(client, id: 2, line: 0, character: 2)
        inline(client, id: 3, line: 0, character: 1, uri: "file:///b.swift")
        inline(client, id: 4, line: 0, character: 3)
        XCTAssertTrue(harness.mailbox.pump { client.response(id: 1) != nil && client.response(id: 2) != nil })
        harness.backend.release()
        XCTAssertTrue(harness.mailbox.pump { client.responses.count == 5 })
        XCTAssertEqual(client.response(id: 1)?.errorCode, -32800, "running one superseded")
        XCTAssertEqual(client.response(id: 2)?.errorCode, -32800, "queued one superseded")
        XCTAssertTrue(client.response(id: 2)?.errorMessage?.contains("superseded") ?? false)
        XCTAssertNotNil(client.response(id: 3)?["result"], "another document is not affected")
        XCTAssertNotNil(client.response(id: 4)?["result"])
    }

    func testAnotherConnectionIsNotSuperseded() throws {
        let first = harness.client(kind: .unix)
        let second = harness.client(kind: .unix)
        for client in [first, second] {
            client.initialize()
            client.open(uri: "file:///a.swift", text: "abc\n")
        }
        harness.backend.hold()
        inline(first, id: 1, line: 0, character: 1)
        XCTAssertEqual(harness.backend.started.wait(timeout: .now() + 30), .success)
        inline(second, id: 1, line: 0, character: 1)
        harness.backend.release()
        XCTAssertTrue(harness.mailbox.pump { first.response(id: 1) != nil && second.response(id: 1) != nil })
        XCTAssertNotNil(first.response(id: 1)?["result"])
        XCTAssertNotNil(second.response(id: 1)?["result"])
    }
}
