import XCTest

@testable import CodeCorpus

/// A real (tiny) mirror of bare git repositories, made with git in a temporary directory.
final class SwiftMirrorTests: XCTestCase {
    private func git(_ arguments: [String], in directory: URL) throws {
        try ProcessRunner.run(
            [
                "git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main",
                "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
            ] + arguments, in: directory)
    }

    /// Makes `mirror/OWNER/NAME.git` with one commit per tag; each tag's file says which tag it is.
    private func makeRepository(_ mirror: TemporaryTree, _ owner: String, _ name: String, tags: [String]) throws {
        let work = mirror.sibling("work-\(owner)-\(name)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try git(["init", "-q"], in: work)
        try Data("Permission is hereby granted, free of charge, to any person".utf8)
            .write(to: work.appendingPathComponent("LICENSE"))
        try FileManager.default.createDirectory(
            at: work.appendingPathComponent("Sources"), withIntermediateDirectories: true)
        for tag in tags {
            try Data(plainSource("\(name) at \(tag)").utf8).write(to: work.appendingPathComponent("Sources/Lib.swift"))
            try git(["add", "-A"], in: work)
            try git(["commit", "-q", "-m", tag], in: work)
            try git(["tag", tag], in: work)
        }
        let bare = mirror.root.appendingPathComponent("\(owner)/\(name).git")
        try FileManager.default.createDirectory(at: bare.deletingLastPathComponent(), withIntermediateDirectories: true)
        try git(["clone", "-q", "--bare", work.path, bare.path], in: mirror.root)
    }

    func testHighestTagIsTakenAndSymlinkAliasesAreSkipped() throws {
        let mirror = try TemporaryTree("mirror")
        try makeRepository(mirror, "acme", "Widget", tags: ["1.9.0", "1.10.0", "1.2.0"])
        try makeRepository(mirror, "zeta", "Held", tags: ["0.1.0"])
        try FileManager.default.createSymbolicLink(
            atPath: mirror.root.appendingPathComponent("acme/widget.git").path,
            withDestinationPath: mirror.root.appendingPathComponent("acme/Widget.git").path)

        var request = CorpusBuildRequest(
            outputDirectory: mirror.sibling("out"),
            selection: try SourceSelection.parse(["swift"], currentDirectory: mirror.root),
            cacheDirectory: mirror.sibling("cache"), manifestDirectory: mirror.sibling("corpus"),
            environment: ["SEDD_SWIFT_MIRROR": mirror.root.path])
        request.heldOutSwiftRepositories = ["zeta/held"]
        let sources = try CorpusBuilder.fetchSources(request) { _ in }
        XCTAssertEqual(sources.map(\.id), ["swift:acme/Widget", "swift:zeta/Held"])
        XCTAssertEqual(sources.map(\.version), ["1.10.0", "0.1.0"])
        XCTAssertEqual(sources.map(\.license), ["MIT", "MIT"])
        XCTAssertEqual(sources.map(\.isHeldOut), [false, true])

        let report = try CorpusBuilder.build(request) { _ in }
        let widget = try XCTUnwrap(report.corpus.files.first { $0.key == "swift:acme/Widget/Sources/Lib.swift" })
        XCTAssertEqual(String(decoding: widget.text, as: UTF8.self), plainSource("Widget at 1.10.0"))
        XCTAssertEqual(report.corpus.files.first { $0.key.hasPrefix("swift:zeta/Held/") }?.split, .heldout)
        XCTAssertEqual(report.manifest.rows.count, 2)
    }

    func testMissingHeldOutRepositoryIsAnError() throws {
        let mirror = try TemporaryTree("mirror")
        try makeRepository(mirror, "acme", "Widget", tags: ["1.0.0"])
        var request = CorpusBuildRequest(
            outputDirectory: mirror.sibling("out"), selection: .everything, cacheDirectory: mirror.sibling("cache"),
            manifestDirectory: mirror.sibling("corpus"), swiftMirrorPath: mirror.root.path)
        request.selection.debianBinaryIDs = []
        request.selection.debianSourceIDs = []
        request.heldOutSwiftRepositories = ["jpsim/Yams"]
        XCTAssertThrowsError(try CorpusBuilder.fetchSources(request) { _ in }) {
            XCTAssertEqual(
                $0 as? CorpusError, .heldOutRepositoryMissing(repository: "jpsim/Yams", mirror: mirror.root.path))
        }
    }

    func testVersionOrderIsNumericLikeSortV() {
        let tags = ["1.10.0", "1.9.2", "v2.0.0", "600.0.1", "602.0.0", "1.2.0", "10.0"]
        XCTAssertEqual(tags.max(by: VersionOrder.precedes), "602.0.0")
        XCTAssertTrue(VersionOrder.precedes("1.9.2", "1.10.0"))
        XCTAssertTrue(VersionOrder.precedes("1.0.0", "1.0.0-beta"))  // as GNU sort -V orders them
        XCTAssertFalse(VersionOrder.precedes("2.0", "2.0"))
    }

    func testLicenseTextsAreClassified() {
        XCTAssertEqual(LicenseDetector.classify("Apache License\n Version 2.0, January 2004"), "Apache-2.0")
        XCTAssertEqual(LicenseDetector.classify("Permission to use, copy, modify, and/or distribute this"), "ISC")
        XCTAssertEqual(
            LicenseDetector.classify("Redistribution and use in source and binary forms ... Neither the name"),
            "BSD-3-Clause")
        XCTAssertEqual(LicenseDetector.classify("GNU GENERAL PUBLIC LICENSE"), LicenseDetector.unrecognised)
        XCTAssertEqual(
            LicenseDetector.debianCopyrightLicense(
                "Format: x\n\nFiles: debian/*\nLicense: GPL-2\n\nFiles: *\nLicense: Expat\n"),
            "MIT")
        XCTAssertEqual(
            LicenseDetector.debianCopyrightLicense("Files: *\nCopyright: x\nLicense: BSD-2-clause\n"), "BSD-2-Clause")
        XCTAssertNil(LicenseDetector.debianCopyrightLicense("Files: src/*\nLicense: MIT\n"))
    }
}
