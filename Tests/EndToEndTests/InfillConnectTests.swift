import Foundation
import XCTest

/// `sedd infill --connect ADDR` against a running `sedd serve`.
final class InfillConnectTests: DaemonTestCase {
    /// Runs `sedd infill <arguments>` with `input` on stdin.
    private func infill(_ arguments: [String], input: String) throws -> (
        end: ProcessEnd?, stdout: String, stderr: String
    ) {
        let path = directory + "/input-\(UUID().uuidString.prefix(6)).txt"
        try Data(input.utf8).write(to: URL(fileURLWithPath: path))
        return try E2E.run(["infill"] + arguments, in: directory, input: .file(path))
    }

    func testOneHoleOverAUnixSocketPrintsTheFilledText() throws {
        let (_, address) = try startUnixDaemon()
        let run = try infill(
            ["--connect", address, "--seed", "5", "--steps", "3", "--span", "6"], input: "héllo <|fill|> wörld\r\n")
        XCTAssertEqual(run.end, .exited(0), run.stderr)
        XCTAssertTrue(run.stdout.utf8.starts(with: "héllo ".utf8), run.stdout)
        XCTAssertTrue(run.stdout.utf8.reversed().starts(with: " wörld\r\n".utf8.reversed()), run.stdout)

        // The same request straight to the daemon gives the same text (same model, params and seed).
        let stream = try MessageStream.connect(address, framing: .newlineDelimited)
        try stream.request(
            1, "sedd/infill",
            [
                "prefix": "héllo ", "suffix": " wörld\r\n", "length": 6, "steps": 3, "seed": 5, "n": 1, "stop": "none",
                "sampler": "analytic",
            ])
        let direct = (try stream.response(id: 1).result?["items"] as? [[String: Any]])?.first?["text"] as? String
        XCTAssertEqual(direct.map { Array($0.utf8) }, Array(run.stdout.utf8))
    }

    func testSeveralHolesOverTCPAsOneDocumentRequest() throws {
        let (_, address) = try startTCPDaemon()
        let pieces = ["fn 😀(", ") {\r\n    ", "\r\n}\r\n"]
        let run = try infill(
            ["--connect", address, "--seed", "2", "--steps", "2", "--json"],
            input: pieces[0] + "<|fill:5|>" + pieces[1] + "<|fill:5|>" + pieces[2])
        XCTAssertEqual(run.end, .exited(0), run.stderr)
        let result = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        let item = try XCTUnwrap((result["items"] as? [[String: Any]])?.first)
        let fills = try XCTUnwrap(item["fills"] as? [String])
        XCTAssertEqual(fills.count, 2, "both holes went in one request")
        XCTAssertEqual((item["edits"] as? [Any])?.count, 2, "the document shape answers with edits")
        XCTAssertEqual(
            Array((item["text"] as? String ?? "").utf8),
            Array((pieces[0] + fills[0] + pieces[1] + fills[1] + pieces[2]).utf8))
    }

    func testARefusedConnectionIsAClearError() throws {
        let run = try infill(["--connect", "unix:\(directory)/nobody.sock"], input: "a<|fill|>b")
        XCTAssertEqual(run.end, .exited(1))
        XCTAssertTrue(run.stderr.contains("cannot connect"), run.stderr)
        XCTAssertTrue(run.stderr.contains("nobody.sock"), run.stderr)
        XCTAssertEqual(run.stdout, "")
    }

    func testAnErrorResponseIsReportedWithItsCode() throws {
        let (_, address) = try startUnixDaemon()
        // 1024 tokens do not fit the tiny model's context of 128: RequestFailed.
        let run = try infill(["--connect", address, "--span", "1024"], input: "a<|fill|>b")
        XCTAssertEqual(run.end, .exited(1))
        XCTAssertTrue(run.stderr.contains("-32803"), run.stderr)
        XCTAssertEqual(run.stdout, "")
    }
}
