import InfillProtocol
import InfillServer
import XCTest

final class AuthenticationTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUp() { harness = ServerHarness(configuration: ServerConfiguration(authToken: "s3cret\n")) }
    override func tearDown() { harness.stop() }

    func testTheRightTokenOpensTheConnection() {
        let client = harness.client(kind: .tcp, requiresAuth: true)
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/authenticate","params":{"token":"s3cret"}}"#)
        XCTAssertEqual(client.response(id: 1)?["result"], ["authenticated": true])
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"sedd/status"}"#)
        XCTAssertNotNil(client.response(id: 2)?["result"])
        XCTAssertFalse(client.closed)
    }

    func testAnythingElseFirstClosesTheConnection() {
        let client = harness.client(kind: .tcp, requiresAuth: true)
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/status"}"#)
        XCTAssertEqual(client.response(id: 1)?.errorCode, -32600)
        XCTAssertTrue(client.closed)
    }

    func testANotificationFirstClosesTheConnection() {
        let client = harness.client(kind: .tcp, requiresAuth: true)
        client.send(#"{"jsonrpc":"2.0","method":"initialized"}"#)
        XCTAssertTrue(client.closed)
    }

    func testGarbageFirstClosesTheConnection() {
        let client = harness.client(kind: .tcp, requiresAuth: true)
        client.send(#"{"jsonrpc":"2.0","id":1,"#)
        XCTAssertEqual(client.responses.first?.errorCode, -32700)
        XCTAssertTrue(client.closed)
    }

    func testAWrongTokenClosesTheConnection() {
        for token in ["s3cre", "s3cret!", "", "S3CRET"] {
            let client = harness.client(kind: .tcp, requiresAuth: true)
            client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/authenticate","params":{"token":"\#(token)"}}"#)
            XCTAssertEqual(client.response(id: 1)?.errorCode, -32803, token)
            XCTAssertTrue(client.closed, token)
        }
    }

    func testConnectionsWithoutTheRequirementNeedNoToken() {
        let client = harness.client(kind: .stdio, requiresAuth: false)
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"sedd/status"}"#)
        XCTAssertNotNil(client.response(id: 2)?["result"])
    }
}
