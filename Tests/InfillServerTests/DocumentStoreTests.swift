import InfillProtocol
import XCTest

@testable import InfillServer

final class DocumentStoreTests: XCTestCase {
    private func change(_ changes: String) -> JSONValue {
        try! JSONParser.parse(#"{"textDocument":{"uri":"u","version":2},"contentChanges":\#(changes)}"#)
    }

    private func store(_ text: String) throws -> DocumentStore {
        var store = DocumentStore()
        try store.open(params: [
            "textDocument": ["uri": "u", "languageId": "swift", "version": 1, "text": .string(text)]
        ])
        return store
    }

    private func text(_ store: DocumentStore) -> String { String(decoding: store["u"]!.bytes, as: UTF8.self) }

    func testIncrementalChangesApplyInOrder() throws {
        var documents = try store("hello\nworld\n")
        try documents.change(
            params: change(
                #"""
                [{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":5}},"text":"bye"},
                 {"range":{"start":{"line":0,"character":3},"end":{"line":1,"character":0}},"text":" "},
                 {"range":{"start":{"line":0,"character":9},"end":{"line":0,"character":9}},"text":"!\nnew"}]
                """#), encoding: .utf16)
        XCTAssertEqual(text(documents), "bye world!\nnew\n")
        XCTAssertEqual(documents["u"]?.version, 2)
        XCTAssertEqual(documents["u"]?.lines.lineCount, 3)
    }

    func testIncrementalChangesAroundNonASCIIInEachEncoding() throws {
        for (encoding, start, end) in [(PositionEncoding.utf16, 2, 4), (.utf8, 4, 8), (.utf32, 2, 3)] {
            var documents = try store("a日😀z\n")
            try documents.change(
                params: change(
                    #"[{"range":{"start":{"line":0,"character":\#(start)},"end":{"line":0,"character":\#(end)}},"text":"ß"}]"#
                ),
                encoding: encoding)
            XCTAssertEqual(text(documents), "a日ßz\n", "\(encoding)")
        }
    }

    func testFullChangeReplacesEverything() throws {
        var documents = try store("old")
        try documents.change(params: change(#"[{"text":"new text"}]"#), encoding: .utf16)
        XCTAssertEqual(text(documents), "new text")
    }

    func testABadChangeLeavesTheDocumentUntouched() throws {
        var documents = try store("keep\n")
        XCTAssertThrowsError(
            try documents.change(
                params: change(
                    #"""
                    [{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":1}},"text":"X"},
                     {"range":{"start":{"line":7,"character":0},"end":{"line":7,"character":0}},"text":"Y"}]
                    """#), encoding: .utf16)
        ) { error in
            XCTAssertTrue("\(error)".hasPrefix("contentChanges[1].range.start"), "\(error)")
        }
        XCTAssertEqual(text(documents), "keep\n")
    }

    func testCloseForgetsTheDocument() throws {
        var documents = try store("x")
        try documents.close(params: ["textDocument": ["uri": "u"]])
        XCTAssertNil(documents["u"])
    }

    func testChangesReachInfillThroughTheServer() throws {
        let harness = ServerHarness()
        defer { harness.stop() }
        let client = harness.client()
        client.initialize()
        client.open(uri: "file:///d", text: "ab\ncd\n")
        client.send(
            #"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///d","version":2},"contentChanges":[{"range":{"start":{"line":1,"character":0},"end":{"line":1,"character":2}},"text":"日本"}]}}"#
        )
        client.send(
            #"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"textDocument":{"uri":"file:///d"},"ranges":[{"start":{"line":1,"character":1},"end":{"line":1,"character":2}}]}}"#
        )
        let text = client.waitForResponse(id: 1)?["result"]?["items"]?.arrayValue?.first?["text"]
        XCTAssertEqual(text, .string("ab\n日\(EchoBackend.fill(hole: 0, candidate: 0))\n"))
        client.send(
            #"{"jsonrpc":"2.0","method":"textDocument/didClose","params":{"textDocument":{"uri":"file:///d"}}}"#)
        client.send(
            #"{"jsonrpc":"2.0","id":2,"method":"sedd/infill","params":{"textDocument":{"uri":"file:///d"},"ranges":[{"start":{"line":0,"character":0},"end":{"line":0,"character":0}}]}}"#
        )
        XCTAssertEqual(client.response(id: 2)?.errorCode, -32803)
    }
}
