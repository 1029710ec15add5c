import Foundation
import XCTest

/// `sedd bench serve` against a running daemon: it must see exactly one response per request.
final class BenchServeTests: DaemonTestCase {
    func testBenchServeCountsEveryResponseExactlyOnce() throws {
        let (_, address) = try startUnixDaemon()
        let run = try E2E.run(
            [
                "bench", "serve", "--connect", address, "--clients", "3", "--requests", "12", "--steps", "2",
                "--length", "4", "--cancel-fraction", "0.5", "--json",
            ],
            in: directory)
        XCTAssertEqual(run.end, .exited(0), run.stderr)
        let report = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        XCTAssertEqual(report["exactlyOnce"] as? Bool, true)
        XCTAssertEqual(report["responses"] as? Int, 12)
        XCTAssertEqual(report["errors"] as? Int, 0)
        let results = try XCTUnwrap(report["results"] as? Int)
        let cancelled = try XCTUnwrap(report["cancelled"] as? Int)
        XCTAssertEqual(results + cancelled, 12)
        XCTAssertLessThanOrEqual(cancelled, try XCTUnwrap(report["cancelsSent"] as? Int))
        XCTAssertNotNil(report["residentBytesAfter"] as? Int, "memory comes from sedd/status")
    }

    func testBenchServeFailsClearlyWithoutADaemon() throws {
        let run = try E2E.run(["bench", "serve", "--connect", "unix:\(directory)/none.sock"], in: directory)
        XCTAssertEqual(run.end, .exited(1))
        XCTAssertTrue(run.stderr.contains("cannot connect"), run.stderr)
    }
}
