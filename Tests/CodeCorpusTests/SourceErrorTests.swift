import XCTest

@testable import CodeCorpus

final class SourceErrorTests: XCTestCase {
    func testMissingSourcePathIsAClearError() throws {
        let tree = try TemporaryTree("here")
        XCTAssertThrowsError(try SourceSelection.parse(["./no-such-dir"], currentDirectory: tree.root)) { error in
            XCTAssertEqual(error as? CorpusError, .sourcePathMissing(path: "./no-such-dir"))
            XCTAssertTrue("\(error)".contains("--source ./no-such-dir: no such directory"))
        }
    }

    func testFileGivenAsSourceIsRefused() throws {
        let tree = try TemporaryTree("here")
        try tree.write("a.py", plainSource("x"))
        XCTAssertThrowsError(try SourceSelection.parse(["a.py"], currentDirectory: tree.root)) {
            XCTAssertEqual($0 as? CorpusError, .sourcePathNotDirectory(path: "a.py"))
        }
    }

    func testUnknownNameListsTheKnownOnes() throws {
        let tree = try TemporaryTree("here")
        XCTAssertThrowsError(try SourceSelection.parse(["cobol"], currentDirectory: tree.root)) { error in
            guard case .unknownSourceName(let name, let known)? = error as? CorpusError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(name, "cobol")
            XCTAssertTrue(known.contains("deb:golang-src") && known.contains("swift"))
        }
    }

    func testNamesSelectCatalogSources() throws {
        let tree = try TemporaryTree("here")
        try FileManager.default.createDirectory(
            at: tree.root.appendingPathComponent("mine"), withIntermediateDirectories: true)
        let selection = try SourceSelection.parse(
            ["python", "debsrc:tmux", "swift:apple/swift-nio", "mine"], currentDirectory: tree.root)
        XCTAssertEqual(
            selection.debianBinaryIDs,
            ["deb:libpython3.11-minimal", "deb:libpython3.11-stdlib", "deb:libpython3.11-testsuite"])
        XCTAssertEqual(selection.debianSourceIDs, ["debsrc:tmux"])
        XCTAssertEqual(selection.swift, .some(["apple/swift-nio"]))
        XCTAssertEqual(selection.directories.map(\.lastPathComponent), ["mine"])
        XCTAssertFalse(selection.isEverything)
        XCTAssertTrue(try SourceSelection.parse([], currentDirectory: tree.root).isEverything)
    }

    func testSwiftMirrorMustBeConfigured() {
        XCTAssertThrowsError(try SwiftMirror.locate(option: nil, environment: [:])) {
            XCTAssertEqual($0 as? CorpusError, .swiftMirrorNotConfigured)
            XCTAssertTrue("\($0)".contains("SEDD_SWIFT_MIRROR"))
        }
    }

    func testUnreadableMirrorsAreClearErrors() throws {
        let tree = try TemporaryTree("mirror")
        try tree.write("file", "not a directory")
        let missing = tree.root.appendingPathComponent("absent").path
        XCTAssertThrowsError(try SwiftMirror.locate(option: missing, environment: [:])) {
            XCTAssertEqual($0 as? CorpusError, .swiftMirrorUnreadable(path: missing, reason: "does not exist"))
        }
        let file = tree.root.appendingPathComponent("file").path
        XCTAssertThrowsError(try SwiftMirror.locate(option: nil, environment: ["SEDD_SWIFT_MIRROR": file])) {
            XCTAssertEqual($0 as? CorpusError, .swiftMirrorUnreadable(path: file, reason: "is a file, not a directory"))
        }
        XCTAssertThrowsError(try SwiftMirror(root: tree.root)) {
            XCTAssertEqual(
                $0 as? CorpusError,
                .swiftMirrorUnreadable(path: tree.root.path, reason: "holds no OWNER/NAME.git repositories"))
        }
    }

    func testBuildingSwiftWithoutAMirrorFailsBeforeAnyWork() throws {
        let tree = try TemporaryTree("out")
        let request = CorpusBuildRequest(
            outputDirectory: tree.sibling("o"),
            selection: try SourceSelection.parse(["swift"], currentDirectory: tree.root),
            cacheDirectory: tree.sibling("c"), manifestDirectory: tree.sibling("m"))
        XCTAssertThrowsError(try CorpusBuilder.build(request) { _ in }) {
            XCTAssertEqual($0 as? CorpusError, .swiftMirrorNotConfigured)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tree.sibling("o").path))
    }
}
