import XCTest

@testable import CodeCorpus

final class ManifestTests: XCTestCase {
    private let rows = [
        ManifestRow(
            key: "swift:b/x/Z.swift", sha256: String(repeating: "b", count: 64), split: .heldout, bytes: 9,
            language: .swift),
        ManifestRow(
            key: "deb:a/x.py", sha256: String(repeating: "a", count: 64), split: .train, bytes: 100, language: .python),
        ManifestRow(
            key: "deb:a/X.py", sha256: String(repeating: "c", count: 64), split: .test, bytes: 70, language: .python),
    ]

    func testRoundTripKeepsEveryFieldAndSortsByBytes() throws {
        let manifest = Manifest(rows: rows)
        XCTAssertEqual(manifest.rows.map(\.key), ["deb:a/X.py", "deb:a/x.py", "swift:b/x/Z.swift"])
        let parsed = try Manifest(parsing: manifest.serialized, path: "m.tsv")
        XCTAssertEqual(parsed, manifest)
        XCTAssertEqual(parsed.version, manifest.version)
        XCTAssertTrue(manifest.serialized.hasPrefix("key\tsha256\tsplit\tbytes\tlanguage\ndeb:a/X.py\t"))
    }

    func testWriteAndReadBackWithTheVersionFile() throws {
        let tree = try TemporaryTree("corpus")
        let manifest = Manifest(rows: rows)
        try manifest.write(to: tree.root)
        XCTAssertEqual(try Manifest.read(from: tree.root), manifest)
        let hashLine = try String(contentsOf: tree.root.appendingPathComponent("manifest.sha256"), encoding: .utf8)
        let fileBytes = try Data(contentsOf: tree.root.appendingPathComponent("manifest.tsv"))
        XCTAssertEqual(hashLine, sha256Hex(fileBytes) + "  manifest.tsv\n")
        XCTAssertEqual(manifest.version, sha256Hex(fileBytes))
    }

    func testMalformedLinesAreReportedWithTheirLineNumber() {
        let good = Manifest(rows: rows).serialized
        let cases: [(String, Int)] = [
            ("not a header\n", 1),
            (good + "only\ttwo\n", 5),
            (good.replacingOccurrences(of: "\theldout\t", with: "\tdev\t"), 4),
            (good.replacingOccurrences(of: "\t100\t", with: "\t-1\t"), 3),
            (good.replacingOccurrences(of: "\tswift\n", with: "\tcobol\n"), 4),
            (good.replacingOccurrences(of: String(repeating: "a", count: 64), with: "abc"), 3),
            (good + good.split(separator: "\n")[1] + "\n", 5),
        ]
        for (text, line) in cases {
            XCTAssertThrowsError(try Manifest(parsing: text, path: "corpus/manifest.tsv")) { error in
                guard case .manifestMalformed(let path, let reported, _)? = error as? CorpusError else {
                    return XCTFail("unexpected \(error)")
                }
                XCTAssertEqual(path, "corpus/manifest.tsv")
                XCTAssertEqual(reported, line, text)
            }
        }
    }

    func testMissingManifestIsAClearError() throws {
        let tree = try TemporaryTree("empty")
        XCTAssertThrowsError(try Manifest.read(from: tree.root)) { error in
            guard case .manifestUnreadable(let path, _)? = error as? CorpusError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("empty/manifest.tsv"))
            XCTAssertTrue("\(error)".contains("build once without --verify"))
        }
    }

    func testDifferenceFindsChangedVanishedAndAppearedRowsInScope() {
        let committed = Manifest(rows: rows)
        let changed = ManifestRow(
            key: "deb:a/x.py", sha256: String(repeating: "d", count: 64), split: .train, bytes: 101, language: .python)
        let appeared = ManifestRow(
            key: "deb:a/new.py", sha256: String(repeating: "e", count: 64), split: .train, bytes: 80, language: .python)
        let rebuilt = Manifest(rows: [changed, appeared, rows[0]])
        let difference = ManifestDifference(committed: committed, rebuilt: rebuilt)
        XCTAssertEqual(difference.changed.map(\.old), [rows[1]])
        XCTAssertEqual(difference.changed.map(\.new), [changed])
        XCTAssertEqual(difference.vanished, [rows[2]])
        XCTAssertEqual(difference.appeared, [appeared])
        XCTAssertFalse(difference.isEmpty)
        XCTAssertTrue(ManifestDifference(committed: committed, rebuilt: committed).isEmpty)
        // Only the swift: rows are in scope, and they did not change.
        XCTAssertTrue(ManifestDifference(committed: committed, rebuilt: rebuilt) { $0.hasPrefix("swift:") }.isEmpty)
    }
}
