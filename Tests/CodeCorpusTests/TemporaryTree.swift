import Foundation
import XCTest

@testable import CodeCorpus

/// A directory made for one test and removed after it.
final class TemporaryTree {
    let root: URL

    init(_ name: String = "tree") throws {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("sedd-corpus-tests-" + UUID().uuidString)
        root = base.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }

    /// Writes `bytes` at `path` (relative), creating folders.
    func write(_ path: String, _ bytes: [UInt8]) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func write(_ path: String, _ text: String) throws { try write(path, Array(text.utf8)) }

    func remove(_ path: String) throws { try FileManager.default.removeItem(at: root.appendingPathComponent(path)) }

    /// A sibling directory of `root`, for outputs.
    func sibling(_ name: String) -> URL { root.deletingLastPathComponent().appendingPathComponent(name) }
}

/// Ordinary source text that passes every filter: `lines` lines of about 40 characters.
func plainSource(_ seed: String, lines: Int = 4) -> String {
    (0..<lines).map { "let value\($0) = \"\(seed)\" // line \($0) of a file" }.joined(separator: "\n") + "\n"
}

/// A source rooted at `tree` that takes every language.
func directorySource(_ id: String, _ tree: TemporaryTree, heldOut: Bool = false) -> CorpusSource {
    CorpusSource(
        id: id, version: "test", license: "MIT", root: tree.root, languages: Set(CodeLanguage.allCases),
        isHeldOut: heldOut)
}
