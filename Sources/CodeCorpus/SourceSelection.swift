import Foundation

/// What `--source NAME|PATH ...` asked for. No argument at all means every catalog source.
public struct SourceSelection: Sendable, Equatable {
    public enum SwiftScope: Sendable, Equatable {
        case none
        /// Every repository of the mirror; the held-out ones must all be present.
        case all
        /// Only these `OWNER/NAME`s (from `swift:OWNER/NAME` arguments).
        case some([String])
    }

    public var swift: SwiftScope = .none
    /// Source ids of `CorpusCatalog.debianBinaryPackages`.
    public var debianBinaryIDs: [String] = []
    /// Source ids of `CorpusCatalog.debianSourcePackages`.
    public var debianSourceIDs: [String] = []
    /// User directories, walked by extension for every language.
    public var directories: [URL] = []
    /// True when nothing was named: the whole catalog, compared with the whole manifest.
    public private(set) var isEverything = false

    public static var everything: SourceSelection {
        var selection = SourceSelection()
        selection.swift = .all
        selection.debianBinaryIDs = CorpusCatalog.debianBinaryPackages.map(\.sourceID)
        selection.debianSourceIDs = CorpusCatalog.debianSourcePackages.map(\.sourceID)
        selection.isEverything = true
        return selection
    }

    /// Every name `--source` accepts besides paths and `swift:OWNER/NAME`.
    public static var knownNames: [String] {
        CorpusCatalog.groupNames + CorpusCatalog.debianBinaryPackages.map(\.sourceID)
            + CorpusCatalog.debianSourcePackages.map(\.sourceID)
    }

    /// Parses `--source` arguments. A group name (`swift`, `python`, `c`, ...) or a source id
    /// (`deb:golang-src`, `debsrc:sqlite3`, `swift:apple/swift-nio`) selects catalog sources;
    /// anything else must be an existing directory.
    public static func parse(_ arguments: [String], currentDirectory: URL) throws -> SourceSelection {
        if arguments.isEmpty { return .everything }
        var selection = SourceSelection()
        var swiftRepositories: [String] = []
        for argument in arguments {
            if argument == "swift" {
                selection.swift = .all
            } else if argument == "c" {
                selection.debianSourceIDs += CorpusCatalog.debianSourcePackages.map(\.sourceID)
            } else if CorpusCatalog.groupNames.contains(argument) {
                selection.debianBinaryIDs += CorpusCatalog.debianBinaryPackages.filter { $0.group == argument }.map(
                    \.sourceID)
            } else if CorpusCatalog.debianBinaryPackages.contains(where: { $0.sourceID == argument }) {
                selection.debianBinaryIDs.append(argument)
            } else if CorpusCatalog.debianSourcePackages.contains(where: { $0.sourceID == argument }) {
                selection.debianSourceIDs.append(argument)
            } else if argument.hasPrefix("swift:"), argument.dropFirst(6).split(separator: "/").count == 2 {
                swiftRepositories.append(String(argument.dropFirst(6)))
            } else {
                selection.directories.append(try directory(argument, currentDirectory: currentDirectory))
            }
        }
        if selection.swift != .all && !swiftRepositories.isEmpty { selection.swift = .some(swiftRepositories) }
        selection.debianBinaryIDs = unique(selection.debianBinaryIDs)
        selection.debianSourceIDs = unique(selection.debianSourceIDs)
        return selection
    }

    private static func directory(_ argument: String, currentDirectory: URL) throws -> URL {
        let looksLikePath = argument.contains("/") || argument.hasPrefix(".") || argument.hasPrefix("~")
        let expanded = (argument as NSString).expandingTildeInPath
        let url =
            expanded.hasPrefix("/")
            ? URL(fileURLWithPath: expanded) : currentDirectory.appendingPathComponent(expanded)
        switch FileSystemWalker.kind(of: url.resolvingSymlinksInPath().path) {
        case .directory: return url.standardizedFileURL
        case .missing:
            if looksLikePath { throw CorpusError.sourcePathMissing(path: argument) }
            throw CorpusError.unknownSourceName(name: argument, known: knownNames)
        default:
            throw CorpusError.sourcePathNotDirectory(path: argument)
        }
    }

    private static func unique(_ ids: [String]) -> [String] {
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }
}
