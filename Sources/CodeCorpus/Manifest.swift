import Foundation

/// One line of `corpus/manifest.tsv`.
public struct ManifestRow: Sendable, Equatable {
    public let key: String
    public let sha256: String
    public let split: CorpusSplit
    public let bytes: Int
    public let language: CodeLanguage

    public init(key: String, sha256: String, split: CorpusSplit, bytes: Int, language: CodeLanguage) {
        self.key = key
        self.sha256 = sha256
        self.split = split
        self.bytes = bytes
        self.language = language
    }
}

/// The committed content manifest: one row per kept file, sorted by key (UTF-8 byte order).
/// Its own SHA-256 is the corpus version.
public struct Manifest: Sendable, Equatable {
    public static let header = "key\tsha256\tsplit\tbytes\tlanguage"
    public static let fileName = "manifest.tsv"
    public static let hashFileName = "manifest.sha256"

    public let rows: [ManifestRow]

    public init(rows: [ManifestRow]) {
        self.rows = rows.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// The TSV text: a header line, then one line per row, each ending in "\n".
    public var serialized: String {
        var text = Manifest.header + "\n"
        for row in rows {
            text += "\(row.key)\t\(row.sha256)\t\(row.split.rawValue)\t\(row.bytes)\t\(row.language.rawValue)\n"
        }
        return text
    }

    /// The corpus version: SHA-256 of `serialized`.
    public var version: String { sha256Hex(Array(serialized.utf8)) }

    /// Parses `serialized` back; `path` only names the file in errors.
    public init(parsing text: String, path: String) throws {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.first == Substring(Manifest.header) else {
            throw CorpusError.manifestMalformed(path: path, line: 1, reason: "header is not '\(Manifest.header)'")
        }
        var rows: [ManifestRow] = []
        var seen = Set<String>()
        for (offset, line) in lines.enumerated().dropFirst() {
            let number = offset + 1
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 5 else {
                throw CorpusError.manifestMalformed(path: path, line: number, reason: "\(fields.count) fields, not 5")
            }
            guard fields[1].count == 64, fields[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw CorpusError.manifestMalformed(path: path, line: number, reason: "'\(fields[1])' is not a sha256")
            }
            guard let split = CorpusSplit(rawValue: String(fields[2])) else {
                throw CorpusError.manifestMalformed(path: path, line: number, reason: "unknown split '\(fields[2])'")
            }
            guard let bytes = Int(fields[3]), bytes >= 0 else {
                throw CorpusError.manifestMalformed(path: path, line: number, reason: "bytes '\(fields[3])'")
            }
            guard let language = CodeLanguage(rawValue: String(fields[4])) else {
                throw CorpusError.manifestMalformed(path: path, line: number, reason: "unknown language '\(fields[4])'")
            }
            let key = String(fields[0])
            guard seen.insert(key).inserted else {
                throw CorpusError.manifestMalformed(path: path, line: number, reason: "duplicate key '\(key)'")
            }
            rows.append(
                ManifestRow(key: key, sha256: String(fields[1]), split: split, bytes: bytes, language: language))
        }
        self.init(rows: rows)
    }

    /// Writes `manifest.tsv` and `manifest.sha256` (in `sha256sum` format) into `directory`.
    public func write(to directory: URL) throws {
        try CacheDirectory.create(directory)
        try writeText(serialized, to: directory.appendingPathComponent(Manifest.fileName))
        try writeText("\(version)  \(Manifest.fileName)\n", to: directory.appendingPathComponent(Manifest.hashFileName))
    }

    /// Reads `manifest.tsv` from `directory`.
    public static func read(from directory: URL) throws -> Manifest {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CorpusError.manifestUnreadable(path: url.path, reason: "missing or unreadable")
        }
        guard let text = String(validating: [UInt8](data), as: UTF8.self) else {
            throw CorpusError.manifestUnreadable(path: url.path, reason: "not UTF-8")
        }
        return try Manifest(parsing: text, path: url.path)
    }
}

/// How a rebuilt corpus differs from a committed manifest.
public struct ManifestDifference: Sendable, Equatable {
    /// Same key, different content, split or language.
    public let changed: [(old: ManifestRow, new: ManifestRow)]
    /// In the committed manifest, not in the rebuild.
    public let vanished: [ManifestRow]
    /// In the rebuild, not in the committed manifest.
    public let appeared: [ManifestRow]

    public var isEmpty: Bool { changed.isEmpty && vanished.isEmpty && appeared.isEmpty }

    /// Compares `rebuilt` against `committed`, looking only at keys that `inScope` accepts (so a build
    /// of some sources is compared with the matching part of the manifest).
    public init(committed: Manifest, rebuilt: Manifest, inScope: (String) -> Bool = { _ in true }) {
        let old = Dictionary(uniqueKeysWithValues: committed.rows.filter { inScope($0.key) }.map { ($0.key, $0) })
        let new = Dictionary(uniqueKeysWithValues: rebuilt.rows.filter { inScope($0.key) }.map { ($0.key, $0) })
        let order: (ManifestRow, ManifestRow) -> Bool = { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        changed = new.values.compactMap { row in old[row.key].flatMap { $0 == row ? nil : ($0, row) } }
            .sorted { order($0.0, $1.0) }
        vanished = old.values.filter { new[$0.key] == nil }.sorted(by: order)
        appeared = new.values.filter { old[$0.key] == nil }.sorted(by: order)
    }

    public static func == (lhs: ManifestDifference, rhs: ManifestDifference) -> Bool {
        lhs.changed.map(\.old) == rhs.changed.map(\.old) && lhs.changed.map(\.new) == rhs.changed.map(\.new)
            && lhs.vanished == rhs.vanished && lhs.appeared == rhs.appeared
    }
}

func writeText(_ text: String, to url: URL) throws {
    do {
        try Data(text.utf8).write(to: url, options: .atomic)
    } catch {
        throw CorpusError.outputUnwritable(path: url.path, reason: error.localizedDescription)
    }
}
