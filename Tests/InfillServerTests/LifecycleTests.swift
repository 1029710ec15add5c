import InfillProtocol
import InfillServer
import XCTest

final class LifecycleTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUp() { harness = ServerHarness(configuration: ServerConfiguration(serverVersion: "9.9")) }
    override func tearDown() { harness.stop() }

    func testInitializeReportsCapabilitiesServerInfoAndModel() throws {
        let client = harness.client()
        client.initialize()
        let result = try XCTUnwrap(client.response(id: "init")?["result"])
        XCTAssertEqual(result["capabilities"]?["positionEncoding"], "utf-16")
        XCTAssertEqual(result["capabilities"]?["textDocumentSync"], 2)
        XCTAssertEqual(result["capabilities"]?["inlineCompletionProvider"], true)
        XCTAssertEqual(result["serverInfo"], ["name": "sedd", "version": "9.9"])
        let sedd = try XCTUnwrap(result["sedd"])
        XCTAssertEqual(sedd["protocolVersion"], 1)
        XCTAssertEqual(sedd["model"], "echo-test")
        XCTAssertEqual(sedd["vocabularySize"], 256)
        XCTAssertEqual(sedd["contextLength"], 1024)
        XCTAssertEqual(sedd["parameterCount"], 42)
        XCTAssertEqual(sedd["defaultSteps"], 16)
        XCTAssertEqual(sedd["defaultSpan"], 32)
        XCTAssertEqual(sedd["defaultSampler"], "analytic")
    }

    func testNegotiatesThePositionEncodingTheClientPrefers() {
        for (offers, expected) in [(#"["utf-8","utf-16"]"#, "utf-8"), (#"["utf-32"]"#, "utf-32"), ("[]", "utf-16")] {
            let client = harness.client()
            client.initialize(#"{"capabilities":{"general":{"positionEncodings":\#(offers)}}}"#)
            XCTAssertEqual(
                client.response(id: "init")?["result"]?["capabilities"]?["positionEncoding"],
                .string(expected), offers)
        }
    }

    func testInitializationOptionsSetTheConnectionDefaults() {
        let client = harness.client()
        client.initialize(#"{"initializationOptions":{"steps":5,"span":7,"sampler":"euler","deadlineMs":250}}"#)
        let sedd = client.response(id: "init")?["result"]?["sedd"]
        XCTAssertEqual(sedd?["defaultSteps"], 5)
        XCTAssertEqual(sedd?["defaultSpan"], 7)
        XCTAssertEqual(sedd?["defaultSampler"], "euler")
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        _ = client.waitForResponse(id: 1)
        let job = harness.backend.jobs.last
        XCTAssertEqual(job?.steps, 5)
        XCTAssertEqual(job?.holeLengths, [7])
        XCTAssertEqual(job?.sampler, .euler)
        XCTAssertEqual(job?.deadlineMs, 250)
        XCTAssertNil(job?.temperature, "no temperature named: the engine's default")
        XCTAssertNil(job?.unmasking)
    }

    func testTemperatureAndUnmaskingComeFromOptionsAndRequests() {
        let client = harness.client()
        client.initialize(#"{"initializationOptions":{"temperature":0.7,"unmasking":"random"}}"#)
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        _ = client.waitForResponse(id: 1)
        XCTAssertEqual(harness.backend.jobs.last?.temperature, 0.7)
        XCTAssertEqual(harness.backend.jobs.last?.unmasking, .random)
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"sedd/infill","params":{"prefix":"a","temperature":0,"unmasking":"confident"}}"#)
        _ = client.waitForResponse(id: 2)
        XCTAssertEqual(harness.backend.jobs.last?.temperature, 0)
        XCTAssertEqual(harness.backend.jobs.last?.unmasking, .confident)
        XCTAssertEqual(harness.backend.jobs.last?.fixedLength, false, "holes may be padded unless a request says otherwise")
        client.send(#"{"jsonrpc":"2.0","id":3,"method":"sedd/infill","params":{"prefix":"a","fixedLength":true}}"#)
        _ = client.waitForResponse(id: 3)
        XCTAssertEqual(harness.backend.jobs.last?.fixedLength, true)
    }

    func testContextRefreshComesFromOptionsAndRequests() {
        let client = harness.client()
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        _ = client.waitForResponse(id: 1)
        XCTAssertNil(harness.backend.jobs.last?.contextRefresh, "none named: the engine's default")
        client.initialize(#"{"initializationOptions":{"contextRefresh":4}}"#)
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        _ = client.waitForResponse(id: 2)
        XCTAssertEqual(harness.backend.jobs.last?.contextRefresh, 4)
        client.send(#"{"jsonrpc":"2.0","id":3,"method":"sedd/infill","params":{"prefix":"a","contextRefresh":1}}"#)
        _ = client.waitForResponse(id: 3)
        XCTAssertEqual(harness.backend.jobs.last?.contextRefresh, 1)
    }

    func testDidChangeConfigurationChangesDefaultsAndIgnoresBadValues() {
        let client = harness.client()
        client.initialize()
        client.send(
            #"{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":{"sedd":{"steps":3}}}}"#
        )
        client.send(
            #"{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":{"sedd":{"steps":3000,"span":2}}}}"#
        )
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":"a"}}"#)
        _ = client.waitForResponse(id: 1)
        XCTAssertEqual(harness.backend.jobs.last?.steps, 3)
        XCTAssertEqual(harness.backend.jobs.last?.holeLengths, [32], "an invalid change is ignored as a whole")
    }

    func testShutdownThenExitOnStdioExitsWithZero() {
        let client = harness.client()
        client.initialize()
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"shutdown","params":null}"#)
        XCTAssertEqual(client.response(id: 2)?["result"], .null)
        client.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        XCTAssertEqual(harness.exitCodes, [0])
        XCTAssertTrue(client.closed)
    }

    func testExitWithoutShutdownExitsWithOne() {
        let client = harness.client()
        client.initialize()
        client.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        XCTAssertEqual(harness.exitCodes, [1])
    }

    func testExitOnASocketClosesOnlyThatConnection() {
        let first = harness.client(kind: .unix)
        let second = harness.client(kind: .tcp)
        first.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        XCTAssertTrue(first.closed)
        XCTAssertEqual(harness.exitCodes, [])
        second.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/status"}"#)
        XCTAssertNotNil(second.response(id: 1)?["result"])
    }

    func testNotificationsBeforeInitializeAreDropped() {
        let client = harness.client()
        client.open(uri: "file:///a", text: "abc")
        client.initialize()
        client.send(
            #"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"textDocument":{"uri":"file:///a"},"ranges":[{"start":{"line":0,"character":0},"end":{"line":0,"character":0}}]}}"#
        )
        XCTAssertEqual(client.response(id: 1)?.errorCode, -32803)
    }

    func testStatusReportsCountsLatencyAndMemory() throws {
        harness.server.startupMs = 12.5
        let client = harness.client()
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":"a","steps":4}}"#)
        _ = client.waitForResponse(id: 1)
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"sedd/status"}"#)
        let status = try XCTUnwrap(client.response(id: 2)?["result"])
        XCTAssertEqual(status["model"], "echo-test")
        XCTAssertEqual(status["served"], 1)
        XCTAssertEqual(status["queueDepth"], 0)
        XCTAssertEqual(status["startupMs"], 12.5)
        XCTAssertEqual(status["latency"]?.arrayValue?.first?["steps"], 4)
        XCTAssertEqual(status["latency"]?.arrayValue?.first?["count"], 1)
        XCTAssertNotNil(status["uptimeMs"]?.numberValue)
        #if os(Linux)
            XCTAssertGreaterThan(status["memory"]?["residentBytes"]?.numberValue?.intValue ?? 0, 0)
        #endif
    }

    func testRepliesUseTheConnectionsFraming() {
        let client = harness.client()
        client.sendFramed(#"{"jsonrpc":"2.0","id":1,"method":"sedd/status"}"#)
        XCTAssertTrue(String(decoding: client.output, as: UTF8.self).hasPrefix("Content-Length: "))
        let lines = harness.client()
        lines.send(#"{"jsonrpc":"2.0","id":1,"method":"sedd/status"}"#)
        XCTAssertEqual(lines.output.last, 0x0A)
        XCTAssertEqual(lines.output.filter { $0 == 0x0A }.count, 1, "one line per reply")
    }
}
