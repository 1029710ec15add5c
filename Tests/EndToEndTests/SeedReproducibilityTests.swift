import Foundation
import XCTest

/// protocol.md's seed row across processes: the same model, parameters and seed give the same fill
/// in a new process (new addresses, new thread timing), at each precision, on the embedded default
/// model (the one that runs the fused bf16 kernels and the context cache where the processor has them).
/// Without a seed each run draws its own (the CLI's default), which is why the README's example may
/// print a different fill from run to run.
final class SeedReproducibilityTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try E2E.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Two holes (one inside a word, so healing runs too) in a short Swift function.
    private let text = "func add(_ a: Int, _ b: Int) -> Int {\n    let total = a <|fill|>\n    return tot<|fill:8|>\n}\n"

    private func infill(_ arguments: [String]) throws -> String {
        let path = directory + "/input.swift"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let model = E2E.packageRoot.appendingPathComponent("models/default").path
        let run = try E2E.run(["infill", "--model", model, "--language", "swift"] + arguments, in: directory, input: .file(path))
        XCTAssertEqual(run.end, .exited(0), run.stderr)
        return run.stdout
    }

    func testSameSeedGivesTheSameFillInEveryProcess() throws {
        for precision in ["preferred", "fp32"] {
            let chosen = precision == "preferred" ? [] : ["--precision", precision]
            let first = try infill(["--seed", "3"] + chosen)
            XCTAssertTrue(first.hasPrefix("func add(_ a: Int, _ b: Int) -> Int {\n    let total = a"), first)
            XCTAssertGreaterThan(first.utf8.count, text.utf8.count - 30, "the holes were filled: \(first)")
            for _ in 0..<3 {
                XCTAssertEqual(try infill(["--seed", "3"] + chosen), first, "precision \(precision): same seed, another fill")
            }
        }
    }
}
