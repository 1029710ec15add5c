import XCTest

@testable import CodeCorpus

final class SplitAndDedupTests: XCTestCase {
    /// Buckets computed independently with Python's hashlib (data.md: "Python's hashlib gives the same bytes").
    func testBucketsMatchAnIndependentImplementation() {
        XCTAssertEqual(SplitAssigner.bucket(forKey: "swift:apple/swift-nio/Sources/NIO/Foo.swift"), 64)
        XCTAssertEqual(SplitAssigner.bucket(forKey: "deb:golang-src/fmt/print.go"), 2)
        XCTAssertEqual(SplitAssigner.bucket(forKey: "debsrc:sqlite3/src/main.c"), 97)
        XCTAssertEqual(SplitAssigner.split(forKey: "src:b/f3.py"), .test)
        XCTAssertEqual(SplitAssigner.split(forKey: "src:b/f34.py"), .valid)
        XCTAssertEqual(SplitAssigner.split(forKey: "src:a/f3.py"), .train)
    }

    func testSplitIsAboutOnePercentEach() {
        var counts: [CorpusSplit: Int] = [:]
        for index in 0..<20_000 { counts[SplitAssigner.split(forKey: "deb:x/file\(index).c"), default: 0] += 1 }
        XCTAssertEqual(Double(counts[.test]!) / 20_000, 0.01, accuracy: 0.003)
        XCTAssertEqual(Double(counts[.valid]!) / 20_000, 0.01, accuracy: 0.003)
    }

    /// Two versions of a package, unpacked under versioned folder names, give the same keys and splits.
    func testSplitDoesNotDependOnTheVersion() throws {
        let old = try TemporaryTree("pkg-1.0")
        let new = try TemporaryTree("pkg-2.0")
        for index in 0..<300 {
            try old.write("lib/file\(index).py", plainSource("old \(index)"))
            try new.write("lib/file\(index).py", plainSource("new \(index)"))
        }
        let first = try CorpusAssembler.assemble([
            CorpusSource(id: "deb:pkg", version: "1.0", license: "MIT", root: old.root, languages: [.python])
        ])
        let second = try CorpusAssembler.assemble([
            CorpusSource(id: "deb:pkg", version: "2.0", license: "MIT", root: new.root, languages: [.python])
        ])
        XCTAssertEqual(first.files.count, 300)
        XCTAssertEqual(first.files.map(\.key), second.files.map(\.key))
        XCTAssertEqual(first.files.map(\.split), second.files.map(\.split))
        XCTAssertNotEqual(first.files.map(\.sha256), second.files.map(\.sha256))
        XCTAssertTrue(first.files.allSatisfy { !$0.key.contains("1.0") })
        XCTAssertTrue(first.files.contains { $0.split == .test } || first.files.contains { $0.split == .valid })
    }

    func testEvaluationCopyBeatsAnEarlierTrainCopy() throws {
        let a = try TemporaryTree("a")
        let b = try TemporaryTree("b")
        let shared = plainSource("same content everywhere")
        try a.write("f3.py", shared)  // src:a/f3.py is train and comes first in sorted order
        try b.write("f3.py", shared)  // src:b/f3.py is test
        try a.write("f34.py", plainSource("other"))  // src:a/f34.py is train
        try b.write("f34.py", plainSource("other"))  // src:b/f34.py is valid
        let corpus = try CorpusAssembler.assemble([directorySource("src:b", b), directorySource("src:a", a)])
        XCTAssertEqual(corpus.files.map(\.key), ["src:b/f3.py", "src:b/f34.py"])
        XCTAssertEqual(corpus.files.map(\.split), [.test, .valid])
        XCTAssertEqual(corpus.rejections[.duplicate], 2)
    }

    func testFirstCopyInSortedOrderWinsAmongTrainCopies() throws {
        let a = try TemporaryTree("a")
        let c = try TemporaryTree("c")
        let shared = plainSource("train twins")
        try c.write("f0.py", shared)
        try a.write("z/f0.py", shared)
        try a.write("f0.py", shared)  // "f0.py" sorts before "z/f0.py"
        let corpus = try CorpusAssembler.assemble([directorySource("src:c", c), directorySource("src:a", a)])
        XCTAssertEqual(corpus.files.map(\.key), ["src:a/f0.py"])
        XCTAssertEqual(corpus.files.first?.split, .train)
    }

    func testHeldOutCopyBeatsTrainAndEverythingHeldOutIsHeldOut() throws {
        let a = try TemporaryTree("a")
        let held = try TemporaryTree("held")
        let shared = plainSource("shared with a held-out repository")
        try a.write("f0.swift", shared)
        try held.write("Sources/f0.swift", shared)
        for index in 0..<50 { try held.write("Sources/g\(index).swift", plainSource("held \(index)")) }
        let corpus = try CorpusAssembler.assemble([
            directorySource("swift:a/a", a), directorySource("swift:z/held", held, heldOut: true),
        ])
        XCTAssertFalse(corpus.files.contains { $0.key == "swift:a/a/f0.swift" })
        XCTAssertEqual(corpus.files.count, 51)
        XCTAssertTrue(corpus.files.allSatisfy { $0.split == .heldout })
    }

    func testDuplicateSourceIDsAreRefused() throws {
        let a = try TemporaryTree("a")
        XCTAssertThrowsError(try CorpusAssembler.assemble([directorySource("dir:a", a), directorySource("dir:a", a)])) {
            XCTAssertEqual($0 as? CorpusError, .duplicateSourceID(id: "dir:a"))
        }
    }

    func testAssemblerAppliesPathFiltersLanguagesAndSkippedDirectories() throws {
        let tree = try TemporaryTree("src")
        try tree.write("keep.c", plainSource("c"))
        try tree.write("debian/patch.c", plainSource("packaging"))
        try tree.write("vendor/dep.c", plainSource("vendored"))
        try tree.write("script.py", plainSource("python, not taken from a C source"))
        try tree.write("README", plainSource("no extension"))
        let source = CorpusSource(
            id: "debsrc:x", version: "1", license: "MIT", root: tree.root, languages: [.c],
            skippedTopDirectories: ["debian"])
        let corpus = try CorpusAssembler.assemble([source])
        XCTAssertEqual(corpus.files.map(\.key), ["debsrc:x/keep.c"])
        XCTAssertEqual(corpus.rejections[.excludedDirectory], 1)
        XCTAssertEqual(corpus.sources.first?.files, 1)
    }
}
