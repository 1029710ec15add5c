import Foundation
import InfillProtocol
import InfillScheduler
import TestSupport
import XCTest

@testable import InfillServer

/// A server with a real scheduler and an `EchoBackend`, whose "loop thread" is the test thread: scheduler
/// completions are posted to a `TestMailbox` and run when the test pumps.
final class ServerHarness {
    let backend: EchoBackend
    let mailbox = TestMailbox()
    let scheduler: InfillScheduler
    let server: InfillServer
    private(set) var logLines: [(LogLevel, String)] = []
    private(set) var exitCodes: [Int32] = []
    private var nextConnectionID = 1

    init(
        configuration: ServerConfiguration = ServerConfiguration(), backend: EchoBackend = EchoBackend(),
        maxQueue: Int = 16
    ) {
        self.backend = backend
        let mailbox = self.mailbox
        scheduler = InfillScheduler(
            backend: backend, configuration: SchedulerConfiguration(maxQueue: maxQueue),
            deliver: { mailbox.post($0) })
        var lines: [(LogLevel, String)] = []
        server = InfillServer(
            configuration: configuration, scheduler: scheduler, backendInfo: backend.info,
            log: { level, line in lines.append((level, line)) })
        server.onExitRequested = { [unowned self] code in exitCodes.append(code) }
        scheduler.start()
        logSink = { lines }
    }

    private var logSink: () -> [(LogLevel, String)] = { [] }

    /// Everything logged so far.
    var logs: [(LogLevel, String)] { logSink() }

    func client(kind: ConnectionKind = .stdio, requiresAuth: Bool = false) -> TestClient {
        let client = TestClient()
        let id = nextConnectionID
        nextConnectionID += 1
        client.connection = server.open(
            connectionID: id, kind: kind, requiresAuth: requiresAuth,
            send: { [weak client] bytes in client?.output += bytes },
            close: { [weak client] in client?.closed = true })
        client.harness = self
        return client
    }

    func stop() {
        backend.release()
        scheduler.stop()
        mailbox.pump(timeout: 0.05) { false }
    }
}

/// One client connection: what it sent, what came back.
final class TestClient {
    var connection: ServerConnection!
    weak var harness: ServerHarness?
    var output: [UInt8] = []
    var closed = false

    /// Sends one NDJSON line.
    func send(_ json: String) { connection.receive(Array((json + "\n").utf8)) }

    /// Sends one LSP-framed message.
    func sendFramed(_ json: String) {
        connection.receive(Array("Content-Length: \(json.utf8.count)\r\n\r\n\(json)".utf8))
    }

    func sendRaw(_ bytes: [UInt8]) { connection.receive(bytes) }

    /// Every message the server wrote, decoded with a fresh framer.
    var messages: [JSONValue] {
        var framer = MessageFramer(maxMessageBytes: 1 << 30)
        return (framer.feed(output) + framer.finish()).compactMap { event in
            guard case .message(let body) = event else { return nil }
            return try? JSONParser.parse(body)
        }
    }

    /// Responses (not notifications), flattening batch arrays.
    var responses: [JSONValue] {
        messages.flatMap { $0.arrayValue ?? [$0] }.filter { $0["method"] == nil }
    }

    func response(id: JSONValue) -> JSONValue? { responses.first { $0["id"] == id } }

    /// Pumps the mailbox until a response with `id` arrives.
    func waitForResponse(id: JSONValue, file: StaticString = #filePath, line: UInt = #line) -> JSONValue? {
        let arrived = harness?.mailbox.pump { response(id: id) != nil } ?? false
        XCTAssertTrue(arrived, "no response with id \(JSONWriter.string(id))", file: file, line: line)
        return response(id: id)
    }

    func notifications(_ method: String) -> [JSONValue] {
        messages.filter { $0["method"] == .string(method) }
    }

    func initialize(_ params: String = #"{"capabilities":{}}"#) {
        send(#"{"jsonrpc":"2.0","id":"init","method":"initialize","params":\#(params)}"#)
        send(#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#)
    }

    func open(uri: String, text: String, languageID: String = "swift") {
        let escaped = JSONWriter.string(.string(text))
        send(
            #"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"\#(uri)","languageId":"\#(languageID)","version":1,"text":\#(escaped)}}}"#
        )
    }
}

extension JSONValue {
    /// `error.code` of a response, if it is an error.
    var errorCode: Int? { self["error"]?["code"]?.numberValue?.intValue }
    var errorMessage: String? { self["error"]?["message"]?.stringValue }
}
