import XCTest

@testable import InfillProtocol

final class JSONRPCMessageTests: XCTestCase {
    private func decode(_ text: String) throws -> IncomingMessage {
        try IncomingMessage.decode(try JSONParser.parse(text))
    }

    func testDecodesRequestsNotificationsAndResponses() throws {
        XCTAssertEqual(
            try decode(#"{"jsonrpc":"2.0","id":3,"method":"m","params":{"a":1}}"#),
            .request(Request(id: .number(3), method: "m", params: ["a": 1])))
        XCTAssertEqual(
            try decode(#"{"jsonrpc":"2.0","id":"x","method":"m"}"#),
            .request(Request(id: .string("x"), method: "m", params: nil)))
        XCTAssertEqual(
            try decode(#"{"jsonrpc":"2.0","method":"n","params":[1]}"#),
            .notification(Notification(method: "n", params: [1])))
        XCTAssertEqual(try decode(#"{"jsonrpc":"2.0","id":9,"result":null}"#), .response(id: .number(9)))
    }

    func testRecoversTheIdOfAnInvalidRequest() {
        let cases: [(String, RequestID?)] = [
            (#"{"id":4,"method":"m"}"#, .number(4)),
            (#"{"jsonrpc":"1.0","id":"s","method":"m"}"#, .string("s")),
            (#"{"jsonrpc":"2.0","id":5,"method":7}"#, .number(5)),
            (#"{"jsonrpc":"2.0","id":6,"method":"m","params":"x"}"#, .number(6)),
            (#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#, nil),
            (#"{"jsonrpc":"2.0","id":{},"method":"m"}"#, nil),
            (#"{"jsonrpc":"2.0","id":null,"method":"m"}"#, nil),
            (#"[1]"#, nil),
            (#"{"jsonrpc":"2.0","id":2}"#, .number(2)),
        ]
        for (text, expectedID) in cases {
            XCTAssertThrowsError(try decode(text), text) { error in
                guard case InfillProtocolError.invalidMessage(let id, _) = error else {
                    return XCTFail("\(text): \(error)")
                }
                XCTAssertEqual(id, expectedID, text)
            }
        }
    }

    func testResponsesSerialiseWithNullIdWhenUnknown() {
        let response = Response(id: nil, error: ResponseError(code: .parseError, message: "bad"))
        XCTAssertEqual(
            JSONWriter.string(response.json),
            #"{"error":{"code":-32700,"message":"bad"},"id":null,"jsonrpc":"2.0"}"#)
        XCTAssertEqual(
            JSONWriter.string(Response(id: .string("a"), result: .null).json),
            #"{"id":"a","jsonrpc":"2.0","result":null}"#)
    }

    func testRequestKeysDistinguishNumbersFromStrings() {
        XCTAssertNotEqual(RequestID.number(1).key, RequestID.string("1").key)
    }

    func testFieldReaderNamesFieldAndRange() throws {
        let reader = try JSONFieldReader(["steps": 0, "sampler": "x", "nested": ["n": "s"]], path: "")
        XCTAssertThrowsError(try reader.optionalInt("steps", in: 1...1024)) { error in
            XCTAssertEqual("\(error)", "steps: expected an integer 1...1024, got 0")
        }
        XCTAssertThrowsError(try reader.object("nested").int("n", in: 0...3)) { error in
            XCTAssertEqual("\(error)", "nested.n: expected an integer 0...3, got a string")
        }
        XCTAssertThrowsError(try reader.string("missing")) { error in
            XCTAssertEqual("\(error)", "missing: missing; expected a string")
        }
    }
}
