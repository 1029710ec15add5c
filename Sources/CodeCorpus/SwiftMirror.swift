import Foundation

/// A repository in the Swift package mirror (`OWNER/NAME.git`, bare).
public struct MirrorRepository: Sendable, Equatable {
    public let owner: String
    public let name: String
    public let gitDirectory: URL

    /// `OWNER/NAME`, as in the package's GitHub address.
    public var fullName: String { owner + "/" + name }
    /// The version-free source id, e.g. `swift:apple/swift-nio`.
    public var sourceID: String { "swift:" + fullName }
}

/// The Swift package mirror of this machine kind: a directory of `OWNER/NAME.git` bare repositories,
/// some of them lower-case symlinks to others. Its location comes from `--swift-mirror` or
/// `SEDD_SWIFT_MIRROR`; the repository never names it.
public struct SwiftMirror: Sendable {
    public static let environmentVariable = "SEDD_SWIFT_MIRROR"
    public let root: URL

    /// The option wins over the environment; neither is an error.
    public static func locate(option: String?, environment: [String: String]) throws -> SwiftMirror {
        if let option, !option.isEmpty { return try SwiftMirror(root: URL(fileURLWithPath: option)) }
        if let value = environment[environmentVariable], !value.isEmpty {
            return try SwiftMirror(root: URL(fileURLWithPath: value))
        }
        throw CorpusError.swiftMirrorNotConfigured
    }

    /// Checks that `root` is a readable directory that holds at least one bare repository.
    public init(root: URL) throws {
        self.root = root
        let path = root.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CorpusError.swiftMirrorUnreadable(path: path, reason: "does not exist")
        }
        guard isDirectory.boolValue else {
            throw CorpusError.swiftMirrorUnreadable(path: path, reason: "is a file, not a directory")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CorpusError.swiftMirrorUnreadable(path: path, reason: "permission denied")
        }
        if try repositories().isEmpty {
            throw CorpusError.swiftMirrorUnreadable(path: path, reason: "holds no OWNER/NAME.git repositories")
        }
    }

    /// Every distinct repository, sorted by `OWNER/NAME`; symlinked aliases are skipped.
    public func repositories() throws -> [MirrorRepository] {
        let fileManager = FileManager.default
        let owners: [String]
        do {
            owners = try fileManager.contentsOfDirectory(atPath: root.path)
        } catch {
            throw CorpusError.swiftMirrorUnreadable(
                path: root.path, reason: "cannot list: \(error.localizedDescription)")
        }
        var found: [MirrorRepository] = []
        for owner in owners where !owner.hasPrefix(".") {
            let ownerURL = root.appendingPathComponent(owner)
            guard FileSystemWalker.kind(of: ownerURL.path) == .directory,
                let entries = try? fileManager.contentsOfDirectory(atPath: ownerURL.path)
            else { continue }
            for entry in entries where entry.hasSuffix(".git") {
                let gitURL = ownerURL.appendingPathComponent(entry)
                guard FileSystemWalker.kind(of: gitURL.path) == .directory else { continue }  // skips symlinks
                found.append(
                    MirrorRepository(owner: owner, name: String(entry.dropLast(4)), gitDirectory: gitURL))
            }
        }
        return found.sorted { $0.fullName.utf8.lexicographicallyPrecedes($1.fullName.utf8) }
    }

    /// The highest tag of a repository in version order (`sort -V`), or nil if it has none.
    public func highestTag(of repository: MirrorRepository) throws -> String? {
        let output = try ProcessRunner.run(["git", "-C", repository.gitDirectory.path, "tag", "--list"])
        let tags = output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        return tags.max(by: VersionOrder.precedes)
    }

    /// Extracts `tag` of `repository` into `cache/swift/OWNER/NAME@TAG` (once; later calls reuse it).
    public func extract(_ repository: MirrorRepository, tag: String, cache: URL) throws -> URL {
        let destination = cache.appendingPathComponent("swift").appendingPathComponent(repository.owner)
            .appendingPathComponent(repository.name + "@" + tag)
        if FileManager.default.fileExists(atPath: destination.path) { return destination }
        let staging = try CacheDirectory.freshStaging(for: destination)
        try ProcessRunner.pipeline(
            #"git -C "$1" archive --format=tar "$2" | tar -x -C "$3""#,
            [repository.gitDirectory.path, "refs/tags/" + tag, staging.path])
        try CacheDirectory.commit(staging, to: destination)
        return destination
    }
}

/// Version ordering like GNU `sort -V`: digit runs compare as numbers, other runs as text,
/// and a leading "v" is ignored.
public enum VersionOrder {
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = chunks(lhs)
        let right = chunks(rhs)
        for (a, b) in zip(left, right) where a != b {
            switch (a, b) {
            case (.number(let x), .number(let y)): return x.count != y.count ? x.count < y.count : x < y
            case (.number, .text): return true
            case (.text, .number): return false
            case (.text(let x), .text(let y)): return x < y
            }
        }
        return left.count != right.count ? left.count < right.count : lhs < rhs
    }

    private enum Chunk: Equatable {
        case number(String)  // without leading zeros, so length then text order is numeric order
        case text(String)
    }

    private static func chunks(_ version: String) -> [Chunk] {
        var text = Substring(version)
        if text.first == "v" || text.first == "V" { text = text.dropFirst() }
        var result: [Chunk] = []
        var current = ""
        var inDigits = false
        func flush() {
            guard !current.isEmpty else { return }
            if inDigits {
                let trimmed = current.drop { $0 == "0" }
                result.append(.number(trimmed.isEmpty ? "0" : String(trimmed)))
            } else {
                result.append(.text(current))
            }
            current = ""
        }
        for character in text {
            let isDigit = character.isASCII && character.isNumber
            if isDigit != inDigits {
                flush()
                inDigits = isDigit
            }
            current.append(character)
        }
        flush()
        return result
    }
}
