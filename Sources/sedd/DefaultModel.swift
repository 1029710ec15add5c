import Foundation

/// Where a command finds its model when no `--model` is given: the package's embedded default model.
///
/// In order: `$SEDD_MODEL`; `<prefix>/share/sedd/default-model` beside an installed binary
/// (`<prefix>/bin/sedd`); and `models/default` of the source tree a built binary lives in
/// (`.build/<config>/sedd`), so a fresh clone finds it after `scripts/setup`.
enum DefaultModel {
    static func locate() -> URL? {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["SEDD_MODEL"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var candidates = [exe.deletingLastPathComponent().appendingPathComponent("../share/sedd/default-model")]
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("models/default"))
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { fm.fileExists(atPath: $0.appendingPathComponent("config.json").path) }?.standardizedFileURL
    }

    /// The model directory to use: the option if given, else the default, else a clear error.
    static func resolve(_ option: String?) throws -> URL {
        if let option { return URL(fileURLWithPath: option) }
        guard let url = locate() else {
            throw CLIError("no --model given and no default model found (set SEDD_MODEL, or run from a source tree with models/default)")
        }
        return url
    }
}
