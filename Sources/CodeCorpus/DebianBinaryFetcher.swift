import Foundation

/// Downloads Debian binary packages with `apt-get download` and extracts them with `dpkg-deb -x`
/// into a cache: `debs/NAME_VERSION_ARCH.deb` and `deb-x/NAME_VERSION_ARCH/`. A cached extraction is
/// reused only while it is still the candidate version, so a Debian update is picked up.
struct DebianBinaryFetcher {
    let cache: URL
    let log: (String) -> Void

    /// One `CorpusSource` per spec, in the order given.
    func fetch(_ specs: [DebianBinarySpec]) throws -> [CorpusSource] {
        guard !specs.isEmpty else { return [] }
        let debs = cache.appendingPathComponent("debs")
        let extracted = cache.appendingPathComponent("deb-x")
        try CacheDirectory.create(debs)
        try CacheDirectory.create(extracted)
        let fileNames = try candidateFileNames(specs.map(\.package))
        let missing = specs.filter {
            !FileManager.default.fileExists(atPath: debs.appendingPathComponent(fileNames[$0.package]!).path)
        }
        if !missing.isEmpty {
            log("apt-get download: \(missing.count) package(s): " + missing.map(\.package).joined(separator: " "))
            try ProcessRunner.run(["apt-get", "download"] + missing.map(\.package), in: debs)
        }
        return try specs.map { spec in
            let fileName = fileNames[spec.package]!
            let deb = debs.appendingPathComponent(fileName)
            guard FileManager.default.fileExists(atPath: deb.path) else {
                throw CorpusError.debianPackageMissing(package: spec.package, directory: debs.path)
            }
            let tree = extracted.appendingPathComponent(String(fileName.dropLast(".deb".count)))
            if !FileManager.default.fileExists(atPath: tree.path) {
                let staging = try CacheDirectory.freshStaging(for: tree)
                try ProcessRunner.run(["dpkg-deb", "-x", deb.path, staging.path])
                try CacheDirectory.commit(staging, to: tree)
            }
            let root = try RootPattern.resolve(spec.rootPattern, under: tree, source: spec.sourceID)
            let license = spec.license ?? copyrightLicense(tree: tree, package: spec.package)
            return CorpusSource(
                id: spec.sourceID, version: Self.version(fromDebFileName: fileName), license: license, root: root,
                languages: spec.languages)
        }
    }

    /// The `.deb` file name of each package's candidate version, from `--print-uris` run in an empty
    /// directory (apt leaves out files already present in the working directory). On "Unable to
    /// locate package" the package lists are refreshed once with `apt-get update`.
    private func candidateFileNames(_ packages: [String]) throws -> [String: String] {
        let probe = cache.appendingPathComponent("print-uris")
        try? FileManager.default.removeItem(at: probe)
        try CacheDirectory.create(probe)
        var output = try ProcessRunner.capture(["apt-get", "download", "--print-uris"] + packages, in: probe)
        if output.status != 0 {
            log(
                "apt-get download --print-uris failed (\(output.standardError.split(separator: "\n").last ?? ""));"
                    + " running apt-get update once")
            try ProcessRunner.run(["apt-get", "update"])
            output = try ProcessRunner.capture(["apt-get", "download", "--print-uris"] + packages, in: probe)
        }
        guard output.status == 0 else {
            throw CorpusError.commandFailed(
                command: "apt-get download --print-uris " + packages.joined(separator: " "), status: output.status,
                stderr: output.standardError)
        }
        var names: [String: String] = [:]
        for line in output.standardOutput.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, fields[1].hasSuffix(".deb") else { continue }
            let fileName = String(fields[1])
            names[String(fileName.prefix { $0 != "_" })] = fileName
        }
        for package in packages where names[package] == nil {
            throw CorpusError.debianPackageMissing(package: package, directory: probe.path)
        }
        return names
    }

    private func copyrightLicense(tree: URL, package: String) -> String {
        let url = tree.appendingPathComponent("usr/share/doc/\(package)/copyright")
        guard let data = FileManager.default.contents(atPath: url.path),
            let license = LicenseDetector.debianCopyrightLicense(String(decoding: data, as: UTF8.self))
        else { return "see usr/share/doc/\(package)/copyright" }
        return license
    }

    /// `NAME_VERSION_ARCH.deb` to `VERSION`, with apt's `%3a` for an epoch colon undone.
    static func version(fromDebFileName fileName: String) -> String {
        let parts = fileName.split(separator: "_")
        guard parts.count >= 3 else { return fileName }
        return parts[1].replacingOccurrences(of: "%3a", with: ":")
    }
}

/// Resolves a root pattern such as `usr/share/go-*/src` inside an extracted tree.
enum RootPattern {
    static func resolve(_ pattern: String, under tree: URL, source: String) throws -> URL {
        var current = tree
        for component in pattern.split(separator: "/") where component != "." {
            guard component.contains("*") else {
                current = current.appendingPathComponent(String(component))
                continue
            }
            let parts = component.split(separator: "*", maxSplits: 1, omittingEmptySubsequences: false)
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: current.path)) ?? []
            let matches = entries.filter { name in
                name.hasPrefix(parts[0]) && name.hasSuffix(parts[1]) && name.count >= component.count - 1
                    && FileSystemWalker.kind(of: current.appendingPathComponent(name).path) == .directory
            }
            guard let best = matches.max(by: VersionOrder.precedes) else {
                throw CorpusError.sourceRootMissing(source: source, pattern: pattern, directory: tree.path)
            }
            current = current.appendingPathComponent(best)
        }
        guard FileSystemWalker.kind(of: current.path) == .directory else {
            throw CorpusError.sourceRootMissing(source: source, pattern: pattern, directory: tree.path)
        }
        return current
    }
}
