import ArgumentParser
import CodeCorpus
import Foundation

/// `sedd corpus build`: the training and evaluation corpus of the default code-infill model
/// (docs/data.md sections 1, 2 and 5).
struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus", abstract: "Build or verify the code corpus.", subcommands: [Build.self])

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch the sources, filter, dedup and split them, write DIR/<split>.jsonl and the manifest.",
            discussion: """
                Without --source every source of the catalog is built: the Swift package mirror (highest tag of
                each repository), Debian binary packages (python, go, rust, javascript, ruby, perl, prose) and
                Debian source packages for C (skipped with a log line when apt cannot fetch sources here).
                --source takes a group (\(CorpusCatalog.groupNames.joined(separator: ", "))), a source id
                (deb:golang-src, debsrc:sqlite3, swift:OWNER/NAME) or a directory, walked by file extension.
                The manifest (manifest.tsv, manifest.sha256, SOURCES.md) goes to --manifest-dir; with --verify
                it is read instead and every changed, vanished or appeared file is reported (exit 1 if any).
                """)

        @Option(help: "Directory for train.jsonl, valid.jsonl, test.jsonl and heldout.jsonl.")
        var out: String
        @Option(name: .customLong("source"), help: "A source group, source id or directory (repeatable).")
        var sources: [String] = []
        @Flag(help: "Compare the rebuild with the committed manifest instead of writing it; exit 1 on any change.")
        var verify = false
        @Option(help: "The Swift package mirror (a directory of OWNER/NAME.git); default: $SEDD_SWIFT_MIRROR.")
        var swiftMirror: String?
        @Option(help: "Download and extraction cache (default: $SEDD_CORPUS_CACHE or ~/.cache/sedd/corpus).")
        var cache: String?
        @Option(help: "Where the manifest is written or, with --verify, read.")
        var manifestDir = "corpus"

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let currentDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            let cacheURL: URL
            if let cache {
                cacheURL = URL(fileURLWithPath: cache)
            } else if let value = environment["SEDD_CORPUS_CACHE"], !value.isEmpty {
                cacheURL = URL(fileURLWithPath: value)
            } else {
                cacheURL = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/sedd/corpus")
            }
            let request: CorpusBuildRequest
            let report: CorpusBuildReport
            do {
                request = CorpusBuildRequest(
                    outputDirectory: URL(fileURLWithPath: out),
                    selection: try SourceSelection.parse(sources, currentDirectory: currentDirectory),
                    cacheDirectory: cacheURL, manifestDirectory: URL(fileURLWithPath: manifestDir),
                    swiftMirrorPath: swiftMirror, environment: environment, verify: verify)
                report = try CorpusBuilder.build(request) { line in
                    FileHandle.standardError.write(Data(("corpus: " + line + "\n").utf8))
                }
            } catch let error as CorpusError {
                throw CLIError(error.description)
            }
            printSummary(report)
            if let difference = report.difference {
                printDifference(difference)
                if !difference.isEmpty { throw ExitCode(1) }
            } else {
                let path = request.manifestDirectory.appendingPathComponent(Manifest.fileName).path
                print("manifest: \(path), version \(report.manifest.version)")
            }
        }

        private func printSummary(_ report: CorpusBuildReport) {
            let rows = report.manifest.rows
            print("language     split     files        bytes")
            for language in CodeLanguage.allCases.sorted() {
                for split in CorpusSplit.allCases {
                    let selected = rows.filter { $0.language == language && $0.split == split }
                    guard !selected.isEmpty else { continue }
                    print(row(language.rawValue, split.rawValue, selected))
                }
            }
            for split in CorpusSplit.allCases {
                print(row("all", split.rawValue, rows.filter { $0.split == split }))
            }
            print(row("all", "all", rows))
            let rejected = report.corpus.rejections.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
            print("left out: " + rejected.joined(separator: ", "))
            print(
                String(
                    format: "time: fetch %.1f s, assemble and write %.1f s", report.fetchSeconds, report.assembleSeconds
                ))
        }

        private func row(_ language: String, _ split: String, _ rows: [ManifestRow]) -> String {
            let bytes = rows.reduce(0) { $0 + $1.bytes }
            return language.padding(toLength: 13, withPad: " ", startingAt: 0)
                + split.padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(format: "%7d %12d", rows.count, bytes)
        }

        private func printDifference(_ difference: ManifestDifference) {
            for (old, new) in difference.changed {
                print(
                    "changed  \(old.key)  \(old.sha256.prefix(12)) \(old.split.rawValue) \(old.bytes)"
                        + " -> \(new.sha256.prefix(12)) \(new.split.rawValue) \(new.bytes)")
            }
            for row in difference.vanished { print("vanished \(row.key)") }
            for row in difference.appeared { print("appeared \(row.key)") }
            print(
                "verify: \(difference.changed.count) changed, \(difference.vanished.count) vanished,"
                    + " \(difference.appeared.count) appeared" + (difference.isEmpty ? " (manifest matches)" : ""))
        }
    }
}
