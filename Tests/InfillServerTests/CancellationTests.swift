import InfillProtocol
import InfillServer
import XCTest

final class CancellationTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUp() { harness = ServerHarness() }
    override func tearDown() { harness.stop() }

    private let infill = #"{"jsonrpc":"2.0","id":%ID%,"method":"sedd/infill","params":{"prefix":"a"}}"#

    private func send(_ client: TestClient, id: String) {
        client.send(infill.replacingOccurrences(of: "%ID%", with: id))
    }

    private func waitUntilRunning() {
        XCTAssertEqual(harness.backend.started.wait(timeout: .now() + 30), .success)
    }

    func testCancelRequestAnswersRunningAndQueuedRequestsWithRequestCancelled() {
        harness.backend.hold()
        let client = harness.client()
        send(client, id: #""run""#)
        waitUntilRunning()
        send(client, id: "2")
        client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}"#)
        client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"run"}}"#)
        XCTAssertTrue(harness.mailbox.pump { client.responses.count == 2 })
        XCTAssertEqual(client.response(id: 2)?.errorCode, -32800)
        XCTAssertEqual(client.response(id: "run")?.errorCode, -32800)
        client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"run"}}"#)
        harness.mailbox.pump(timeout: 0.1) { false }
        XCTAssertEqual(client.responses.count, 2, "a cancel after the answer sends nothing more")
    }

    func testCancelOfAnotherConnectionsIdDoesNothing() {
        harness.backend.hold()
        let first = harness.client(kind: .unix)
        let second = harness.client(kind: .unix)
        send(first, id: "1")
        waitUntilRunning()
        second.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#)
        harness.backend.release()
        XCTAssertTrue(harness.mailbox.pump { first.response(id: 1) != nil })
        XCTAssertNotNil(first.response(id: 1)?["result"])
    }

    func testStdioEndOfInputFinishesInFlightWorkThenExitsZero() {
        let client = harness.client(kind: .stdio)
        client.sendRaw(
            Array(
                (infill.replacingOccurrences(of: "%ID%", with: "1") + "\n"
                    + infill.replacingOccurrences(of: "%ID%", with: "2")).utf8))
        client.connection.endOfInput()
        XCTAssertFalse(client.closed, "still answering")
        XCTAssertTrue(harness.mailbox.pump { client.closed })
        XCTAssertNotNil(client.response(id: 1)?["result"])
        XCTAssertNotNil(client.response(id: 2)?["result"], "the unterminated last line was served too")
        XCTAssertEqual(harness.exitCodes, [0])
    }

    func testSocketEndOfInputCancelsItsJobsAndCloses() {
        harness.backend.hold()
        let client = harness.client(kind: .tcp)
        send(client, id: "1")
        waitUntilRunning()
        send(client, id: "2")
        client.connection.endOfInput()
        XCTAssertTrue(harness.mailbox.pump { client.closed })
        XCTAssertEqual(client.response(id: 1)?.errorCode, -32800)
        XCTAssertEqual(client.response(id: 2)?.errorCode, -32800)
        XCTAssertEqual(harness.exitCodes, [])
    }

    func testExitOnStdioAnswersInFlightRequestsBeforeExiting() {
        harness.backend.hold()
        let client = harness.client(kind: .stdio)
        client.initialize()
        send(client, id: "7")
        waitUntilRunning()
        send(client, id: "8")
        client.send(#"{"jsonrpc":"2.0","id":9,"method":"shutdown"}"#)
        client.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        XCTAssertTrue(harness.mailbox.pump { client.closed })
        XCTAssertEqual(client.response(id: 7)?.errorCode, -32800, "the running job is answered, not dropped")
        XCTAssertEqual(client.response(id: 8)?.errorCode, -32800, "the queued job is answered, not dropped")
        XCTAssertEqual(harness.exitCodes, [0])
    }

    func testServerShutdownCancelsEverythingAnswersThenCompletes() {
        harness.backend.hold()
        let first = harness.client(kind: .unix)
        let second = harness.client(kind: .stdio)
        send(first, id: "1")
        waitUntilRunning()
        send(second, id: "2")
        var completed = false
        harness.server.shutdown { completed = true }
        XCTAssertTrue(harness.mailbox.pump { completed })
        XCTAssertEqual(first.response(id: 1)?.errorCode, -32800)
        XCTAssertTrue(first.response(id: 1)?.errorMessage?.contains("shutting down") ?? false)
        XCTAssertEqual(second.response(id: 2)?.errorCode, -32800)
        second.send(infill.replacingOccurrences(of: "%ID%", with: "3"))
        XCTAssertEqual(second.response(id: 3)?.errorCode, -32803, "no new work while shutting down")
    }

    func testShutdownWithNothingInFlightCompletesAtOnce() {
        var completed = false
        harness.server.shutdown { completed = true }
        XCTAssertTrue(completed)
    }
}
