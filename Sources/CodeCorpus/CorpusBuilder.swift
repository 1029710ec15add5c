import Foundation

/// Everything `sedd corpus build` needs to know.
public struct CorpusBuildRequest: Sendable {
    /// Where `<split>.jsonl` go.
    public var outputDirectory: URL
    public var selection: SourceSelection
    /// Downloads and extractions, reused across builds.
    public var cacheDirectory: URL
    /// Where `manifest.tsv`, `manifest.sha256` and `SOURCES.md` are written or, with `verify`, read.
    public var manifestDirectory: URL
    /// `--swift-mirror`; falls back to `SEDD_SWIFT_MIRROR` in `environment`.
    public var swiftMirrorPath: String?
    public var environment: [String: String]
    /// Compare with the committed manifest instead of overwriting it.
    public var verify: Bool
    public var heldOutSwiftRepositories: [String] = CorpusCatalog.heldOutSwiftRepositories

    public init(
        outputDirectory: URL, selection: SourceSelection, cacheDirectory: URL, manifestDirectory: URL,
        swiftMirrorPath: String? = nil, environment: [String: String] = [:], verify: Bool = false
    ) {
        self.outputDirectory = outputDirectory
        self.selection = selection
        self.cacheDirectory = cacheDirectory
        self.manifestDirectory = manifestDirectory
        self.swiftMirrorPath = swiftMirrorPath
        self.environment = environment
        self.verify = verify
    }
}

/// What a build produced.
public struct CorpusBuildReport: Sendable {
    public let corpus: AssembledCorpus
    public let manifest: Manifest
    /// Set with `verify`: the rebuild against the committed manifest.
    public let difference: ManifestDifference?
    /// Seconds spent fetching sources, and assembling plus writing.
    public let fetchSeconds: Double
    public let assembleSeconds: Double
}

/// Fetches the selected sources, assembles the corpus, writes the JSONL files, and writes or
/// verifies the manifest.
public enum CorpusBuilder {
    public static func build(_ request: CorpusBuildRequest, log: @escaping (String) -> Void) throws -> CorpusBuildReport
    {
        let start = Date()
        let sources = try fetchSources(request, log: log)
        let fetched = Date()
        log(String(format: "sources ready: %d in %.1f s", sources.count, fetched.timeIntervalSince(start)))
        let corpus = try CorpusAssembler.assemble(sources, log: log)
        let manifest = corpus.manifest
        try JSONLWriter.write(corpus.files, to: request.outputDirectory)
        var difference: ManifestDifference?
        if request.verify {
            let committed = try Manifest.read(from: request.manifestDirectory)
            let prefixes = sources.map { $0.id + "/" }
            let everything = request.selection.isEverything
            difference = ManifestDifference(committed: committed, rebuilt: manifest) { key in
                everything || prefixes.contains { key.hasPrefix($0) }
            }
        } else {
            try manifest.write(to: request.manifestDirectory)
            try writeText(
                SourcesReport.markdown(corpus: corpus, manifest: manifest),
                to: request.manifestDirectory.appendingPathComponent(SourcesReport.fileName))
        }
        return CorpusBuildReport(
            corpus: corpus, manifest: manifest, difference: difference,
            fetchSeconds: fetched.timeIntervalSince(start), assembleSeconds: Date().timeIntervalSince(fetched))
    }

    /// Resolves the selection into extracted trees, downloading and extracting what the cache lacks.
    public static func fetchSources(_ request: CorpusBuildRequest, log: @escaping (String) -> Void) throws
        -> [CorpusSource]
    {
        let selection = request.selection
        var sources: [CorpusSource] = []
        if selection.swift != .none {
            let mirror = try SwiftMirror.locate(option: request.swiftMirrorPath, environment: request.environment)
            sources += try swiftSources(mirror, request: request, log: log)
        }
        if !selection.debianBinaryIDs.isEmpty {
            let specs = CorpusCatalog.debianBinaryPackages.filter { selection.debianBinaryIDs.contains($0.sourceID) }
            sources += try DebianBinaryFetcher(cache: request.cacheDirectory, log: log).fetch(specs)
        }
        if !selection.debianSourceIDs.isEmpty {
            let specs = CorpusCatalog.debianSourcePackages.filter { selection.debianSourceIDs.contains($0.sourceID) }
            sources += try DebianSourceFetcher(cache: request.cacheDirectory, log: log).fetch(specs)
        }
        for directory in selection.directories {
            guard FileSystemWalker.kind(of: directory.resolvingSymlinksInPath().path) == .directory else {
                throw CorpusError.sourcePathMissing(path: directory.path)
            }
            sources.append(
                CorpusSource(
                    id: "dir:" + directory.lastPathComponent, version: "local",
                    license: LicenseDetector.license(ofTree: directory), root: directory.resolvingSymlinksInPath(),
                    languages: Set(CodeLanguage.allCases)))
        }
        return sources
    }

    private static func swiftSources(
        _ mirror: SwiftMirror, request: CorpusBuildRequest, log: (String) -> Void
    ) throws -> [CorpusSource] {
        var repositories = try mirror.repositories()
        let heldOut = Set(request.heldOutSwiftRepositories.map { $0.lowercased() })
        switch request.selection.swift {
        case .none: return []
        case .all:
            let present = Set(repositories.map { $0.fullName.lowercased() })
            if let missing = request.heldOutSwiftRepositories.first(where: { !present.contains($0.lowercased()) }) {
                throw CorpusError.heldOutRepositoryMissing(repository: missing, mirror: mirror.root.path)
            }
        case .some(let names):
            let wanted = Set(names.map { $0.lowercased() })
            repositories = repositories.filter { wanted.contains($0.fullName.lowercased()) }
            let found = Set(repositories.map { $0.fullName.lowercased() })
            if let missing = names.first(where: { !found.contains($0.lowercased()) }) {
                throw CorpusError.swiftMirrorUnreadable(path: mirror.root.path, reason: "has no repository \(missing)")
            }
        }
        var sources: [CorpusSource] = []
        for repository in repositories {
            guard let tag = try mirror.highestTag(of: repository) else {
                log("swift: \(repository.fullName) has no tag, skipped")
                continue
            }
            let tree = try mirror.extract(repository, tag: tag, cache: request.cacheDirectory)
            sources.append(
                CorpusSource(
                    id: repository.sourceID, version: tag, license: LicenseDetector.license(ofTree: tree), root: tree,
                    languages: [.swift], isHeldOut: heldOut.contains(repository.fullName.lowercased())))
        }
        log("swift: \(sources.count) repositories at their highest tags")
        return sources
    }
}
