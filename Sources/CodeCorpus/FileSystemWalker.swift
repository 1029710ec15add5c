import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Lists the regular files of a tree with POSIX calls: symlinks are never followed (Debian's node
/// packages and git archives hold many that point at files already walked elsewhere).
enum FileSystemWalker {
    enum Kind { case file, directory, symlink, other, missing }

    /// What is at `path`, without following a final symlink.
    static func kind(of path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// Relative paths of every regular file under `root`, sorted by UTF-8 bytes (the order that
    /// decides which duplicate is kept, so it must not depend on the locale or the file system).
    static func regularFiles(under root: URL, skippingTopDirectories skipped: Set<String> = []) -> [String] {
        var found: [String] = []
        var pending: [String] = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? root.path : root.path + "/" + relative
            guard let directory = opendir(absolute) else { continue }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                var type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    switch kind(of: root.path + "/" + child) {
                    case .file: type = UInt8(DT_REG)
                    case .directory: type = UInt8(DT_DIR)
                    default: type = UInt8(DT_LNK)
                    }
                }
                if type == UInt8(DT_DIR) {
                    if relative.isEmpty && skipped.contains(name) { continue }
                    pending.append(child)
                } else if type == UInt8(DT_REG) {
                    found.append(child)
                }
            }
        }
        return found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// Cache entries appear whole or not at all: each is built in a staging directory and renamed.
enum CacheDirectory {
    static func create(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw CorpusError.outputUnwritable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// An empty directory beside `destination` to build into.
    static func freshStaging(for destination: URL) throws -> URL {
        let staging = destination.deletingLastPathComponent()
            .appendingPathComponent(".staging-" + destination.lastPathComponent)
        try? FileManager.default.removeItem(at: staging)
        try create(staging)
        return staging
    }

    static func commit(_ staging: URL, to destination: URL) throws {
        do {
            try FileManager.default.moveItem(at: staging, to: destination)
        } catch {
            throw CorpusError.outputUnwritable(path: destination.path, reason: error.localizedDescription)
        }
    }
}
