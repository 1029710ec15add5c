import Foundation

/// One tree of files that feeds the corpus, after any download or extraction.
///
/// The `id` is version-free (`swift:apple/swift-nio`, `deb:golang-src`, `debsrc:sqlite3`,
/// `dir:NAME`) and so are the paths under `root`, so keys survive version bumps.
public struct CorpusSource: Sendable, Equatable {
    public let id: String
    /// What exactly was read: a tag, a Debian version, or "local" for a user directory.
    public let version: String
    /// An SPDX-like license expression, or a short note where none applies.
    public let license: String
    /// The directory walked; keys are `id + "/" + path relative to root`.
    public let root: URL
    /// Only files of these languages are taken from this source.
    public let languages: Set<CodeLanguage>
    /// Top-level directories of `root` to skip (`debian/` and `.pc/` in Debian source packages).
    public let skippedTopDirectories: Set<String>
    /// Every file of a held-out source goes to the `heldout` split.
    public let isHeldOut: Bool

    public init(
        id: String, version: String, license: String, root: URL, languages: Set<CodeLanguage>,
        skippedTopDirectories: Set<String> = [], isHeldOut: Bool = false
    ) {
        self.id = id
        self.version = version
        self.license = license
        self.root = root
        self.languages = languages
        self.skippedTopDirectories = skippedTopDirectories
        self.isHeldOut = isHeldOut
    }

    /// The manifest key of a file at `relativePath` under `root`.
    public func key(forRelativePath relativePath: String) -> String { id + "/" + relativePath }
}
