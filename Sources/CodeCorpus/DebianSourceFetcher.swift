import Foundation

/// Fetches Debian source packages (the C sources) with `apt-get source`, through a private deb-src
/// list derived from the system's sources so that the system's apt configuration is never touched
/// (data.md section 5). Trees land in `debsrc/trees/PACKAGE_VERSION/`.
///
/// C is optional: when apt cannot serve sources here, `fetch` logs one line per reason and returns
/// what it could get, possibly nothing, instead of failing the whole build.
struct DebianSourceFetcher {
    let cache: URL
    let log: (String) -> Void
    /// Where the system's apt sources live; a parameter so that tests can point it elsewhere.
    var systemSourcesDirectory = URL(fileURLWithPath: "/etc/apt")

    func fetch(_ specs: [DebianSourceSpec]) throws -> [CorpusSource] {
        guard !specs.isEmpty else { return [] }
        guard (try? ProcessRunner.capture(["dpkg-source", "--version"]))?.status == 0 else {
            log("C sources skipped: dpkg-source is not installed (apt-get install dpkg-dev)")
            return []
        }
        let base = cache.appendingPathComponent("debsrc")
        let options: [String]
        do {
            options = try preparePrivateLists(base)
        } catch {
            log("C sources skipped: no deb-src index could be built (\(error))")
            return []
        }
        let trees = base.appendingPathComponent("trees")
        try CacheDirectory.create(trees)
        var sources: [CorpusSource] = []
        for spec in specs {
            do {
                sources.append(try fetchOne(spec, options: options, base: base, trees: trees))
            } catch {
                log("C source \(spec.package) skipped: \(error)")
            }
        }
        return sources
    }

    /// Fetches the version apt would pick; when the archive no longer serves it (a security update's
    /// files can vanish from the mirror), falls back to the other versions the lists know, newest first,
    /// and says so: the manifest check then reports any file that differs.
    private func fetchOne(_ spec: DebianSourceSpec, options: [String], base: URL, trees: URL) throws -> CorpusSource {
        var failures: [String] = []
        func fetched(_ version: String) -> URL? {
            do { return try fetchTree(spec.package, version: version, options: options, trees: trees) } catch {
                failures.append("\(version) could not be fetched (\(error))")
                return nil
            }
        }
        let candidate = try candidateVersion(spec.package, options: options, base: base)
        if let tree = fetched(candidate) { return try source(spec, version: candidate, tree: tree) }
        // Asked only when the candidate failed: most builds never need the other versions.
        for version in knownVersions(spec.package, options: options) where version != candidate {
            if let tree = fetched(version) {
                log("C source \(spec.package): \(failures.joined(separator: "; ")); using \(version) instead")
                return try source(spec, version: version, tree: tree)
            }
        }
        throw CorpusError.commandFailed(
            command: "apt-get source \(spec.package)", status: 100, stderr: failures.joined(separator: "; "))
    }

    /// Unpacks `package=version` into `trees/PACKAGE_VERSION/` unless it is there already.
    private func fetchTree(_ package: String, version: String, options: [String], trees: URL) throws -> URL {
        let destination = trees.appendingPathComponent(package + "_" + version)
        if !FileManager.default.fileExists(atPath: destination.path) {
            log("apt-get source \(package) \(version)")
            let staging = try CacheDirectory.freshStaging(for: destination)
            try ProcessRunner.run(["apt-get"] + options + ["source", package + "=" + version], in: staging)
            try CacheDirectory.commit(staging, to: destination)
        }
        return destination
    }

    private func source(_ spec: DebianSourceSpec, version: String, tree destination: URL) throws -> CorpusSource {
        let unpacked = ((try? FileManager.default.contentsOfDirectory(atPath: destination.path)) ?? [])
            .filter { FileSystemWalker.kind(of: destination.appendingPathComponent($0).path) == .directory }
        guard unpacked.count == 1 else {
            throw CorpusError.sourceRootMissing(
                source: spec.sourceID, pattern: "one unpacked source directory", directory: destination.path)
        }
        return CorpusSource(
            id: spec.sourceID, version: version, license: spec.license,
            root: destination.appendingPathComponent(unpacked[0]), languages: [.c],
            skippedTopDirectories: CorpusCatalog.debianSourceSkippedDirectories)
    }

    /// Every version of `package` the private lists hold (`apt-cache showsrc`), newest first; empty
    /// when apt-cache cannot say.
    private func knownVersions(_ package: String, options: [String]) -> [String] {
        guard let output = try? ProcessRunner.capture(["apt-cache"] + options + ["showsrc", package]), output.status == 0
        else { return [] }
        return Self.versions(of: package, inShowsrc: output.standardOutput).sorted { Self.newer($0, than: $1) }
    }

    /// The distinct `Version:` fields of `package`'s records in `apt-cache showsrc` output (other
    /// packages' records, which showsrc adds for binary-name matches, are skipped).
    static func versions(of package: String, inShowsrc output: String) -> [String] {
        var versions: [String] = []
        var inPackage = false
        for line in output.split(separator: "\n") {
            if line.hasPrefix("Package: ") { inPackage = line.dropFirst("Package: ".count) == package }
            if inPackage, line.hasPrefix("Version: ") {
                let version = String(line.dropFirst("Version: ".count))
                if !versions.contains(version) { versions.append(version) }
            }
        }
        return versions
    }

    /// Debian's version order, asked of dpkg itself.
    static func newer(_ a: String, than b: String) -> Bool {
        (try? ProcessRunner.capture(["dpkg", "--compare-versions", a, "gt", b]))?.status == 0
    }

    /// The version `apt-get source` would fetch, from the `.dsc` name that `--print-uris` prints.
    private func candidateVersion(_ package: String, options: [String], base: URL) throws -> String {
        let probe = base.appendingPathComponent("print-uris")
        try? FileManager.default.removeItem(at: probe)
        try CacheDirectory.create(probe)
        let output = try ProcessRunner.run(["apt-get"] + options + ["source", "--print-uris", package], in: probe)
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, fields[1].hasSuffix(".dsc") {
                return String(fields[1].dropLast(".dsc".count).split(separator: "_").last ?? "")
            }
        }
        throw CorpusError.commandFailed(
            command: "apt-get source --print-uris \(package)", status: 0, stderr: "printed no .dsc file")
    }

    /// Writes `debsrc/etc` from the system's deb lines turned into deb-src lines and fetches the
    /// source indexes once into `debsrc/lists`. Returns the apt options that select them.
    private func preparePrivateLists(_ base: URL) throws -> [String] {
        let etc = base.appendingPathComponent("etc")
        let lists = base.appendingPathComponent("lists")
        try CacheDirectory.create(etc)
        try CacheDirectory.create(lists.appendingPathComponent("partial"))
        let written = try writeSourceLists(into: etc)
        guard written > 0 else {
            throw CorpusError.sourceRootMissing(
                source: "debsrc", pattern: "*.sources or sources.list with deb lines",
                directory: systemSourcesDirectory.path)
        }
        let options = [
            "-o", "Dir::Etc::SourceList=/dev/null", "-o", "Dir::Etc::SourceParts=" + etc.path,
            "-o", "Dir::State::Lists=" + lists.path,
        ]
        let hasIndexes = ((try? FileManager.default.contentsOfDirectory(atPath: lists.path)) ?? [])
            .contains { $0.hasSuffix("_Sources") || $0.contains("_Sources.") }
        if !hasIndexes {
            log("apt-get update for a private deb-src list")
            try ProcessRunner.run(["apt-get"] + options + ["update"])
        }
        return options
    }

    /// Copies every enabled apt source with its `deb` type changed to `deb-src`; returns how many.
    private func writeSourceLists(into etc: URL) throws -> Int {
        var count = 0
        let partsDirectory = systemSourcesDirectory.appendingPathComponent("sources.list.d")
        let parts = ((try? FileManager.default.contentsOfDirectory(atPath: partsDirectory.path)) ?? []).sorted()
        for name in parts where name.hasSuffix(".sources") {
            guard let data = FileManager.default.contents(atPath: partsDirectory.appendingPathComponent(name).path)
            else { continue }
            let text = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) == "Types: deb" ? "Types: deb-src" : String($0) }
                .joined(separator: "\n")
            try write(text, to: etc.appendingPathComponent("src-" + name))
            count += 1
        }
        let legacy = systemSourcesDirectory.appendingPathComponent("sources.list")
        if let data = FileManager.default.contents(atPath: legacy.path) {
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
                .filter { $0.hasPrefix("deb ") }.map { "deb-src " + $0.dropFirst(4) }
            if !lines.isEmpty {
                try write(lines.joined(separator: "\n") + "\n", to: etc.appendingPathComponent("src-legacy.list"))
                count += 1
            }
        }
        return count
    }

    private func write(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url)
        } catch {
            throw CorpusError.outputUnwritable(path: url.path, reason: error.localizedDescription)
        }
    }
}
