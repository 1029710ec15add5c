import InfillProtocol
import XCTest

@testable import InfillServer

final class InfillRequestTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUp() { harness = ServerHarness() }
    override func tearDown() { harness.stop() }

    private func infill(_ client: TestClient, _ params: String, id: Int = 1) -> JSONValue? {
        client.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"sedd/infill","params":\#(params)}"#)
        return client.waitForResponse(id: .int(id))?["result"]
    }

    func testTextShapeResultHasTheDocumentedShape() throws {
        let client = harness.client()
        let result = try XCTUnwrap(infill(client, #"{"prefix":"func a() {\r\n  ","suffix":"\n}","steps":4,"seed":7}"#))
        XCTAssertEqual(
            Set(result.objectValue?.keys.map { $0 } ?? []),
            ["items", "steps", "sampler", "model", "context", "timing"])
        let item = try XCTUnwrap(result["items"]?.arrayValue?.first)
        let fill = EchoBackend.fill(hole: 0, candidate: 0)
        XCTAssertEqual(item["fills"], [.string(fill)])
        XCTAssertEqual(item["text"], .string("func a() {\r\n  " + fill + "\n}"))
        XCTAssertEqual(item["score"], -0.5)
        XCTAssertNil(item["edits"], "the text shape has no edits")
        XCTAssertEqual(result["steps"], 4)
        XCTAssertEqual(result["sampler"], "analytic")
        XCTAssertEqual(result["model"], "echo-test")
        XCTAssertEqual(result["context"]?["prefixTokens"], 14)
        XCTAssertEqual(result["context"]?["prefixTruncated"], false)
        XCTAssertNotNil(result["timing"]?["queuedMs"]?.numberValue)
        XCTAssertNotNil(result["timing"]?["computeMs"]?.numberValue)
        // The engine's breakdown: the passes it ran and its stages.
        XCTAssertEqual(result["timing"]?["forwardPasses"], 5)
        XCTAssertEqual(result["timing"]?["stagesMs"], ["layout": 0.25, "sampling": 0.75])
        XCTAssertEqual(harness.backend.jobs.last?.seed, 7)
    }

    func testTextOutsideTheHolesIsReturnedByteForByte() throws {
        let prefix = "naïve 日本\u{2028} e\u{301} 👩‍💻\t\"q\"\\"
        let suffix = "\r\n\u{0}end\u{FEFF}"
        let params = JSONWriter.string(["prefix": .string(prefix), "suffix": .string(suffix)])
        let result = try XCTUnwrap(infill(harness.client(), params))
        let text = try XCTUnwrap(result["items"]?.arrayValue?.first?["text"]?.stringValue)
        let fill = EchoBackend.fill(hole: 0, candidate: 0)
        XCTAssertEqual(Array(text.utf8), Array(prefix.utf8) + Array(fill.utf8) + Array(suffix.utf8))
    }

    func testDocumentShapeFillsSeveralHolesInTheClientsOrder() throws {
        let client = harness.client()
        // Ranges given out of order; the second replaces "BB", the first is an insertion at the end.
        let params =
            #"{"text":"aa BB cc\ndd","ranges":[{"start":{"line":1,"character":2},"end":{"line":1,"character":2}},{"start":{"line":0,"character":3},"end":{"line":0,"character":5}}]}"#
        let result = try XCTUnwrap(infill(client, params))
        let item = try XCTUnwrap(result["items"]?.arrayValue?.first)
        let hole0 = EchoBackend.fill(hole: 0, candidate: 0)
        let hole1 = EchoBackend.fill(hole: 1, candidate: 0)
        XCTAssertEqual(item["fills"], [.string(hole1), .string(hole0)], "fills follow the request's order")
        XCTAssertEqual(item["text"], .string("aa \(hole0) cc\ndd\(hole1)"))
        XCTAssertEqual(item["edits"]?.arrayValue?.count, 2)
        XCTAssertEqual(
            item["edits"]?.arrayValue?[1]["range"],
            ["start": ["line": 0, "character": 3], "end": ["line": 0, "character": 5]])
        XCTAssertEqual(item["edits"]?.arrayValue?[1]["newText"], .string(hole0))
        XCTAssertEqual(harness.backend.jobs.last?.segments, ["aa ", " cc\ndd", ""])
    }

    func testHolesMayTogetherExceedTheContextButNotOneAlone() throws {
        harness.stop()
        harness = ServerHarness(backend: EchoBackend(contextLength: 100))
        let client = harness.client()
        // Two holes of 60 tokens: 120 in all, more than the context, but each fits (the engine fills
        // holes too far apart for one window in groups).
        let two = #"{"text":"a b","ranges":[{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},{"start":{"line":0,"character":3},"end":{"line":0,"character":3}}],"length":60}"#
        XCTAssertNotNil(infill(client, two)?["items"], "two holes that each fit are served")
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"sedd/infill","params":{"prefix":"a","suffix":"b","length":101}}"#)
        let refused = client.waitForResponse(id: 2)
        XCTAssertEqual(refused?.errorCode, -32803)
        XCTAssertEqual(refused?.errorMessage, "a hole needs 101 tokens but the model's context holds 100; ask for a smaller length")
    }

    func testRangesUseTheNegotiatedEncoding() throws {
        let text = "😀x😀y"
        for (encoding, start, end) in [("utf-16", 2, 3), ("utf-8", 4, 5), ("utf-32", 1, 2)] {
            let client = harness.client()
            client.initialize(#"{"capabilities":{"general":{"positionEncodings":["\#(encoding)"]}}}"#)
            let params =
                #"{"text":"\#(text)","ranges":[{"start":{"line":0,"character":\#(start)},"end":{"line":0,"character":\#(end)}}]}"#
            let result = try XCTUnwrap(infill(client, params))
            XCTAssertEqual(
                result["items"]?.arrayValue?.first?["text"],
                .string("😀\(EchoBackend.fill(hole: 0, candidate: 0))😀y"), encoding)
        }
    }

    func testOpenDocumentShapeUsesTheStoredTextAndLanguage() throws {
        let client = harness.client()
        client.initialize()
        client.open(uri: "file:///m.py", text: "def f():\n    pass\n", languageID: "python")
        let params =
            #"{"textDocument":{"uri":"file:///m.py"},"ranges":[{"start":{"line":1,"character":4},"end":{"line":1,"character":8}}]}"#
        let result = try XCTUnwrap(infill(client, params))
        XCTAssertEqual(
            result["items"]?.arrayValue?.first?["text"],
            .string("def f():\n    \(EchoBackend.fill(hole: 0, candidate: 0))\n"))
        XCTAssertEqual(harness.backend.jobs.last?.languageID, "python")
    }

    func testCandidatesStopRuleAndMinScore() throws {
        let client = harness.client()
        let result = try XCTUnwrap(infill(client, #"{"prefix":"a","n":3,"stop":"line","minScore":-2}"#))
        let items = try XCTUnwrap(result["items"]?.arrayValue)
        XCTAssertEqual(items.map { $0["score"] }, [-0.5, -1.5], "the third candidate (-2.5) is below minScore")
        XCTAssertEqual(items.first?["fills"], ["<h0c0>"], "trimmed at the first newline")
        XCTAssertEqual(harness.backend.jobs.last?.candidates, 3)
        XCTAssertEqual(harness.backend.jobs.last?.stop, .line)
        let none = try XCTUnwrap(infill(client, #"{"prefix":"a","minScore":0}"#, id: 2))
        XCTAssertEqual(none["items"], [], "items may be empty")
    }

    func testPreviewNotificationsPrecedeTheResponse() throws {
        let client = harness.client()
        _ = infill(client, #"{"prefix":"a","steps":3,"preview":true}"#, id: 9)
        let previews = client.notifications("sedd/preview")
        XCTAssertEqual(previews.count, 3)
        XCTAssertEqual(previews.first?["params"]?["id"], 9)
        XCTAssertEqual(previews.first?["params"]?["step"], 1)
        XCTAssertEqual(previews.first?["params"]?["steps"], 3)
        XCTAssertEqual(previews.first?["params"]?["fills"], ["░░░"])
        let order = client.messages.map { $0["method"] == nil ? "response" : "preview" }
        XCTAssertEqual(order, ["preview", "preview", "preview", "response"])
        XCTAssertTrue(harness.backend.jobs.last?.wantsPreview ?? false)
    }

    func testHugeFilesAreCutNearTheHoleAtLineBoundaries() throws {
        let harness = ServerHarness(configuration: ServerConfiguration(maxContextBytes: 1000))
        defer { harness.stop() }
        let prefix = (0..<500).map { "line \($0)\n" }.joined()
        let suffix = (0..<500).map { "tail \($0)\n" }.joined()
        let params = JSONWriter.string(["prefix": .string(prefix), "suffix": .string(suffix)])
        let client = harness.client()
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":\#(params)}"#)
        let result = try XCTUnwrap(client.waitForResponse(id: 1)?["result"])
        let job = try XCTUnwrap(harness.backend.jobs.last)
        XCTAssertLessThanOrEqual(job.segments[0].utf8.count, 1000)
        XCTAssertGreaterThanOrEqual(job.segments[0].utf8.count, 500)
        XCTAssertTrue(job.segments[0].hasPrefix("line "), "cut at a line start")
        XCTAssertTrue(prefix.hasSuffix(job.segments[0]))
        XCTAssertLessThanOrEqual(job.segments[1].utf8.count, 1000)
        XCTAssertTrue(job.segments[1].hasSuffix("\n"), "cut after a line end")
        XCTAssertTrue(suffix.hasPrefix(job.segments[1]))
        XCTAssertEqual(result["context"]?["prefixTruncated"], true)
        XCTAssertEqual(result["context"]?["suffixTruncated"], true)
        let text = result["items"]?.arrayValue?.first?["text"]?.stringValue
        XCTAssertEqual(text, prefix + EchoBackend.fill(hole: 0, candidate: 0) + suffix, "the whole text comes back")
    }

    func testCutsNeverSplitACharacter() {
        let bytes = Array(String(repeating: "日", count: 100).utf8)
        let start = HoleLayout.prefixCut(bytes, end: bytes.count, budget: 10)
        XCTAssertEqual(start % 3, 0)
        XCTAssertLessThanOrEqual(bytes.count - start, 10)
        let end = HoleLayout.suffixCut(bytes, start: 0, budget: 10)
        XCTAssertEqual(end, 9)
    }

    func testBatchAnswersInfillAndStatusInOneArray() throws {
        let client = harness.client()
        client.send(
            #"[{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":"a"}},{"jsonrpc":"2.0","id":2,"method":"sedd/status"}]"#
        )
        XCTAssertTrue(harness.mailbox.pump { !client.messages.isEmpty })
        let batch = try XCTUnwrap(client.messages.first?.arrayValue)
        XCTAssertEqual(Set(batch.compactMap { $0["id"]?.numberValue?.intValue }), [1, 2])
        XCTAssertEqual(client.messages.count, 1)
    }

    func testDuplicateIdInFlightIsRefused() throws {
        harness.backend.hold()
        let client = harness.client()
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/status"}"#)
        XCTAssertEqual(client.response(id: 1)?.errorCode, -32600)
        harness.backend.release()
        XCTAssertTrue(harness.mailbox.pump { client.responses.count == 2 })
        XCTAssertNotNil(client.responses.last?["result"]?["items"])
    }

    func testQueueFullIsRequestFailed() throws {
        let harness = ServerHarness(maxQueue: 1)
        defer { harness.stop() }
        harness.backend.hold()
        let client = harness.client(kind: .unix)
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        XCTAssertEqual(harness.backend.started.wait(timeout: .now() + 30), .success)
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        client.send(#"{"jsonrpc":"2.0","id":3,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        XCTAssertEqual(client.response(id: 3)?.errorCode, -32803)
        XCTAssertTrue(client.response(id: 3)?.errorMessage?.contains("--max-queue") ?? false)
        harness.backend.release()
        XCTAssertTrue(harness.mailbox.pump { client.responses.count == 3 })
    }

    func testStdioHoldsMessagesWhileTheQueueIsFullAndLosesNone() throws {
        let harness = ServerHarness(maxQueue: 1)
        defer { harness.stop() }
        harness.backend.hold()
        let client = harness.client(kind: .stdio)
        var paused = 0, resumed = 0
        client.connection.pauseInput = { paused += 1 }
        client.connection.resumeInput = { resumed += 1 }
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        XCTAssertEqual(harness.backend.started.wait(timeout: .now() + 30), .success)
        // One chunk with five requests and the end of input, as `sedd serve < requests.jsonl` delivers it.
        let lines = (2...6).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"sedd/infill","params":{"prefix":"a"}}"# }
        client.sendRaw(Array((lines.joined(separator: "\n") + "\n").utf8))
        client.connection.endOfInput()
        XCTAssertEqual(paused, 1)
        XCTAssertTrue(client.responses.isEmpty, "nothing may be refused while the queue is full")
        harness.backend.release()
        XCTAssertTrue(harness.mailbox.pump { client.responses.count == 6 })
        for id in 1...6 { XCTAssertNotNil(client.response(id: .int(id))?["result"], "request \(id) was not served") }
        XCTAssertGreaterThanOrEqual(resumed, 1)
        XCTAssertTrue(harness.mailbox.pump { harness.exitCodes == [0] }, "stdin's end exits 0 once all are answered")
    }

    func testLogsAtInfoNeverContainDocumentText() {
        let secret = "SECRET_TOKEN_TEXT"
        let client = harness.client()
        client.initialize()
        client.open(uri: "file:///s", text: "let \(secret) = 1\n")
        client.send(
            #"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///s","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":4},"end":{"line":0,"character":4}},"text":"\#(secret)"}]}}"#
        )
        _ = infill(client, #"{"prefix":"\#(secret)","suffix":"\#(secret)","preview":true,"steps":2}"#)
        client.send(#"{"jsonrpc":"2.0","id":4,"method":"sedd/infill","params":{"prefix":"\#(secret)","steps":0}}"#)
        client.send(#"{"jsonrpc":"2.0","id":5,"method":"sedd/infill","params":{"prefix":"\#(secret)"#)
        let lines = harness.logs.filter { $0.0 <= .info }
        XCTAssertFalse(lines.isEmpty)
        for (_, line) in lines { XCTAssertFalse(line.contains(secret), line) }
    }
}
