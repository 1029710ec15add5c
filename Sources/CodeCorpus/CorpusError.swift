/// Everything that can go wrong while building or verifying the code corpus from outside input
/// (paths, the Swift package mirror, Debian tools, manifests). Every message names the path, key or
/// command involved and says what is accepted instead.
public enum CorpusError: Error, CustomStringConvertible, Equatable {
    /// A `--source PATH` that does not exist.
    case sourcePathMissing(path: String)
    /// A `--source PATH` that exists but is not a directory.
    case sourcePathNotDirectory(path: String)
    /// A `--source NAME` that is neither a known source name nor a path.
    case unknownSourceName(name: String, known: [String])
    /// Two sources resolved to the same version-free id, so their keys would collide.
    case duplicateSourceID(id: String)
    /// The Swift sources were asked for but no mirror was named.
    case swiftMirrorNotConfigured
    /// The named Swift mirror cannot be read or holds no bare repositories.
    case swiftMirrorUnreadable(path: String, reason: String)
    /// A held-out repository named by the plan is not in the mirror.
    case heldOutRepositoryMissing(repository: String, mirror: String)
    /// An external tool (git, apt-get, dpkg-deb, tar) exited with an error.
    case commandFailed(command: String, status: Int32, stderr: String)
    /// An external tool could not be started at all.
    case commandNotStarted(command: String, reason: String)
    /// `apt-get download` finished but left no `.deb` for the package.
    case debianPackageMissing(package: String, directory: String)
    /// An extracted package does not contain the directory the catalog expects.
    case sourceRootMissing(source: String, pattern: String, directory: String)
    /// A file or directory could not be created or written.
    case outputUnwritable(path: String, reason: String)
    /// The committed manifest is missing or unreadable.
    case manifestUnreadable(path: String, reason: String)
    /// The committed manifest has a malformed line.
    case manifestMalformed(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .sourcePathMissing(let path):
            return "--source \(path): no such directory; give an existing directory or a source name"
        case .sourcePathNotDirectory(let path):
            return "--source \(path): is a file, not a directory; give a directory to walk by file extension"
        case .unknownSourceName(let name, let known):
            return "--source \(name): not a known source name and not a path; known names: "
                + known.joined(separator: ", ") + " (a path must contain '/' or start with '.')"
        case .duplicateSourceID(let id):
            return "source id '\(id)' was given twice; keys '\(id)/<path>' would collide (rename one directory)"
        case .swiftMirrorNotConfigured:
            return "Swift sources need the Swift package mirror: pass --swift-mirror PATH or set SEDD_SWIFT_MIRROR"
                + " (a directory of OWNER/NAME.git bare repositories), or leave out the 'swift' source"
        case .swiftMirrorUnreadable(let path, let reason):
            return "Swift mirror \(path): \(reason); expected a directory of OWNER/NAME.git bare repositories"
        case .heldOutRepositoryMissing(let repository, let mirror):
            return "Swift mirror \(mirror): held-out repository \(repository) is missing; the held-out split"
                + " needs every repository in CorpusCatalog.heldOutSwiftRepositories"
        case .commandFailed(let command, let status, let stderr):
            let detail = stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            return "command failed (exit \(status)): \(command)" + (detail.isEmpty ? "" : ": \(detail)")
        case .commandNotStarted(let command, let reason):
            return "could not start \(command): \(reason)"
        case .debianPackageMissing(let package, let directory):
            return "apt-get download \(package): no \(package)_*.deb appeared in \(directory)"
        case .sourceRootMissing(let source, let pattern, let directory):
            return "source \(source): no directory matching '\(pattern)' under \(directory)"
        case .outputUnwritable(let path, let reason):
            return "\(path): cannot write: \(reason)"
        case .manifestUnreadable(let path, let reason):
            return "manifest \(path): \(reason); build once without --verify to create it"
        case .manifestMalformed(let path, let line, let reason):
            return "manifest \(path) line \(line): \(reason); expected key, sha256, split, bytes, language"
                + " separated by tabs"
        }
    }
}
