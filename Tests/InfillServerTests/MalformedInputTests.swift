import InfillProtocol
import InfillServer
import XCTest

/// Runs every entry of the malformed-input catalogue on a fresh connection: the documented answer, then
/// proof that the connection still serves (or was closed, where that is the documented rule).
final class MalformedInputTests: XCTestCase {
    func testCatalogueHasAtLeastFortyCases() {
        XCTAssertGreaterThanOrEqual(malformedCatalogue.count, 40)
    }

    func testEveryMalformedInputGetsItsDocumentedAnswer() {
        let harness = ServerHarness(configuration: ServerConfiguration(maxMessageBytes: 4096))
        defer { harness.stop() }
        for entry in malformedCatalogue {
            check(entry, harness: harness)
        }
    }

    private func check(_ entry: MalformedCase, harness: ServerHarness) {
        let client = harness.client()
        prepare(client, entry.setup)
        let before = client.responses.count
        client.sendRaw(entry.input)
        if entry.endInput { client.connection.endOfInput() }
        let fresh = Array(client.responses.dropFirst(before))
        let name = entry.name

        switch entry.expectation {
        case .error(let code, let id, let mentions):
            XCTAssertEqual(fresh.count, 1, "\(name): expected one response, got \(fresh.map(JSONWriter.string))")
            guard let response = fresh.first else { return }
            XCTAssertEqual(response.errorCode, code, "\(name): \(JSONWriter.string(response))")
            XCTAssertEqual(response["id"], id, "\(name)")
            for word in mentions {
                XCTAssertTrue(
                    response.errorMessage?.contains(word) ?? false,
                    "\(name): message '\(response.errorMessage ?? "")' does not mention '\(word)'")
            }
        case .errors(let code, let count):
            XCTAssertEqual(fresh.map(\.errorCode), Array(repeating: code, count: count), "\(name)")
            XCTAssertTrue(fresh.allSatisfy { $0["id"] == .null }, "\(name)")
        case .noResponse:
            XCTAssertEqual(fresh.count, 0, "\(name): \(fresh.map(JSONWriter.string))")
        case .result(let id):
            XCTAssertEqual(fresh.count, 1, "\(name)")
            XCTAssertEqual(fresh.first?["id"], id, "\(name)")
            XCTAssertNotNil(fresh.first?["result"], "\(name)")
        case .batch(let expected):
            let arrays = client.messages.compactMap(\.arrayValue)
            XCTAssertEqual(arrays.count, 1, "\(name): expected one batch reply")
            guard let array = arrays.last else { return }
            XCTAssertEqual(array.count, expected.count, "\(name)")
            for (id, code) in expected {
                guard let member = array.first(where: { $0["id"] == id }) else {
                    XCTFail("\(name): no answer for id \(JSONWriter.string(id))")
                    continue
                }
                XCTAssertEqual(member.errorCode, code, "\(name): \(JSONWriter.string(member))")
            }
        }

        let followUp = #"{"jsonrpc":"2.0","id":"after","method":"sedd/status"}"#
        switch entry.followUp {
        case .closed:
            XCTAssertTrue(client.closed, "\(name): the connection should be closed")
        case .servesStatus, .refusesWith:
            XCTAssertFalse(client.closed, "\(name): the connection was closed")
            if entry.lsp { client.sendFramed(followUp) } else { client.send(followUp) }
            let answer = client.response(id: "after")
            if case .refusesWith(let code) = entry.followUp {
                XCTAssertEqual(answer?.errorCode, code, "\(name)")
            } else {
                XCTAssertEqual(answer?["result"]?["model"], "echo-test", "\(name): follow-up not served")
            }
        }
    }

    private func prepare(_ client: TestClient, _ setup: MalformedCase.Setup) {
        switch setup {
        case .fresh: break
        case .detected: client.send(#"{"jsonrpc":"2.0","id":"setup","method":"sedd/status"}"#)
        case .initialized: client.initialize()
        case .withDocument:
            client.initialize()
            client.open(uri: "file:///a.swift", text: "let a = 1\nlet b = 2\n")
        case .shutDown:
            client.initialize()
            client.send(#"{"jsonrpc":"2.0","id":"sd","method":"shutdown"}"#)
        }
    }
}
