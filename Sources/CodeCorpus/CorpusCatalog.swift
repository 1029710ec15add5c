/// A Debian binary package that the corpus extracts with `apt-get download` + `dpkg-deb -x`.
public struct DebianBinarySpec: Sendable {
    /// The version-free source id, e.g. `deb:golang-src`.
    public let sourceID: String
    /// The bookworm package to download.
    public let package: String
    /// The walked directory inside the package; `*` matches one path component (never a symlink),
    /// so version numbers in directory names stay out of the keys.
    public let rootPattern: String
    public let languages: Set<CodeLanguage>
    /// nil: read from the `Files: *` stanza of the package's `usr/share/doc/PACKAGE/copyright`.
    public let license: String?
    /// The `--source` name that selects it with its siblings.
    public let group: String
}

/// A Debian source package for C, fetched with `apt-get source` through a private deb-src list.
public struct DebianSourceSpec: Sendable {
    public let sourceID: String
    public let package: String
    public let license: String
}

/// The sources of data.md section 1 and the held-out repositories of section 2.2.
public enum CorpusCatalog {
    public static let debianBinaryPackages: [DebianBinarySpec] = {
        let python = ["libpython3.11-minimal", "libpython3.11-stdlib", "libpython3.11-testsuite"].map {
            DebianBinarySpec(
                sourceID: "deb:" + $0, package: $0, rootPattern: "usr/lib/python3.*", languages: [.python],
                license: "PSF-2.0", group: "python")
        }
        let node = [
            "node-lodash", "node-acorn", "node-express", "node-commander", "node-yargs", "node-semver",
            "node-underscore", "node-moment", "node-marked", "node-highlight.js", "node-babel7", "eslint",
            "webpack", "rollup", "node-terser", "node-uglify-js", "node-d3", "node-react", "node-vue",
        ].map {
            DebianBinarySpec(
                sourceID: "deb:" + $0, package: $0, rootPattern: ".", languages: [.javascript, .typescript],
                license: nil, group: "javascript")
        }
        return python + node + [
            DebianBinarySpec(
                sourceID: "deb:golang-src", package: "golang-1.19-src", rootPattern: "usr/share/go-*/src",
                languages: [.go], license: "BSD-3-Clause", group: "go"),
            DebianBinarySpec(
                sourceID: "deb:rust-src", package: "rust-src", rootPattern: "usr/src/rustc-*/library",
                languages: [.rust], license: "MIT OR Apache-2.0", group: "rust"),
            DebianBinarySpec(
                sourceID: "deb:libruby", package: "libruby3.1", rootPattern: "usr/lib/ruby",
                languages: [.ruby], license: "Ruby OR BSD-2-Clause", group: "ruby"),
            DebianBinarySpec(
                sourceID: "deb:perl-modules", package: "perl-modules-5.36", rootPattern: "usr/share/perl/5.*",
                languages: [.perl], license: "Artistic-1.0-Perl OR GPL-1.0-or-later", group: "perl"),
            DebianBinarySpec(
                sourceID: "deb:python3.11-doc", package: "python3.11-doc",
                rootPattern: "usr/share/doc/python3.11/html/_sources", languages: [.rst], license: "PSF-2.0",
                group: "prose"),
        ]
    }()

    public static let debianSourcePackages: [DebianSourceSpec] = [
        DebianSourceSpec(sourceID: "debsrc:sqlite3", package: "sqlite3", license: "blessing (public domain)"),
        DebianSourceSpec(sourceID: "debsrc:lua5.4", package: "lua5.4", license: "MIT"),
        DebianSourceSpec(
            sourceID: "debsrc:redis", package: "redis",
            license: "BSD-3-Clause (bundled jemalloc BSD-2-Clause, hiredis BSD-3-Clause)"),
        DebianSourceSpec(sourceID: "debsrc:libzstd", package: "libzstd", license: "BSD-3-Clause OR GPL-2.0-only"),
        DebianSourceSpec(sourceID: "debsrc:libuv1", package: "libuv1", license: "MIT"),
        DebianSourceSpec(sourceID: "debsrc:tmux", package: "tmux", license: "ISC"),
        DebianSourceSpec(sourceID: "debsrc:curl", package: "curl", license: "curl"),
    ]

    /// Directories of Debian source trees that are packaging, not upstream code.
    public static let debianSourceSkippedDirectories: Set<String> = [".pc", "debian"]

    /// Whole Swift repositories kept out of training for a cross-repository test (data.md 2.2).
    public static let heldOutSwiftRepositories = [
        "apple/swift-algorithms", "jpsim/Yams", "pointfreeco/swift-parsing", "swhitty/FlyingFox", "attaswift/BigInt",
    ]

    /// `--source` names that select a group of sources: `swift` (the mirror), `c` (Debian source
    /// packages) and the groups of `debianBinaryPackages`.
    public static let groupNames = ["swift", "python", "go", "rust", "c", "javascript", "ruby", "perl", "prose"]
}
