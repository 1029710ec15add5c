import Foundation
import Tokenizers

/// Reads training or evaluation documents from files, directories (walked, filtered by extension)
/// and JSONL corpora (one `{"text": ...}` object per line, optionally with `"language"` and `"key"`, as
/// the corpus builder writes them). A file's language comes from its extension.
///
/// Unusable inputs inside a corpus (a binary file, invalid UTF-8, a malformed JSONL row) are skipped
/// and reported through `skipped`; a path that does not exist, or a corpus with no usable document at
/// all, is an error.
public struct CorpusReader {
    /// File extensions read when walking a directory (lower case, no dot).
    public var extensions: Set<String>
    /// Files larger than this are skipped (generated or vendored blobs).
    public var maximumFileBytes: Int

    public static let defaultExtensions: Set<String> = [
        "txt", "md", "rst", "swift", "py", "c", "h", "cc", "cpp", "hpp", "go", "rs", "js", "mjs", "ts", "rb", "pl", "pm",
        "java", "kt", "sh", "lua", "jsonl",
    ]

    public init(extensions: Set<String> = CorpusReader.defaultExtensions, maximumFileBytes: Int = 4 << 20) {
        self.extensions = extensions
        self.maximumFileBytes = maximumFileBytes
    }

    /// One document and where it came from.
    public struct Document: Sendable {
        public var source: String
        public var text: String
        /// Corpus language name (`swift`, `python`, ...), nil when unknown.
        public var language: String?
        /// The corpus key (`swift:apple/swift-nio/Sources/...`) of a JSONL row; nil for plain files.
        public var key: String?
        public init(source: String, text: String, language: String? = nil, key: String? = nil) {
            self.source = source
            self.text = text
            self.language = language
            self.key = key
        }
    }

    public struct Result: Sendable {
        public var documents: [Document]
        /// One line per skipped input: the path (and row) and why.
        public var skipped: [String]
    }

    /// Reads every document under `paths`, in a deterministic order (directory entries sorted).
    public func read(_ paths: [String]) throws(TrainingError) -> Result {
        if paths.isEmpty { throw .invalidOption(name: "--data", reason: "give at least one file or directory") }
        var result = Result(documents: [], skipped: [])
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missingPath(path: path) }
            if isDirectory.boolValue {
                for file in walk(path) { readFile(file, into: &result, explicit: false) }
            } else {
                readFile(path, into: &result, explicit: true)
            }
        }
        if result.documents.isEmpty {
            let why = result.skipped.isEmpty
                ? "no files with a readable extension (\(extensions.sorted().joined(separator: ", ")))"
                : "every file was skipped; first: \(result.skipped[0])"
            throw .noDocuments(paths: paths, reason: why)
        }
        return result
    }

    /// Files under a directory, sorted, filtered by extension; hidden entries skipped.
    private func walk(_ directory: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = e.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") { e.skipDescendants(); continue }
            let full = (directory as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if extensions.contains((name as NSString).pathExtension.lowercased()) { files.append(full) }
        }
        return files.sorted()
    }

    private func readFile(_ path: String, into result: inout Result, explicit: Bool) {
        guard let data = FileManager.default.contents(atPath: path) else {
            result.skipped.append("\(path): unreadable")
            return
        }
        if (path as NSString).pathExtension.lowercased() == "jsonl" {
            readJSONL(path, data, into: &result)
            return
        }
        if data.count > maximumFileBytes && !explicit {
            result.skipped.append("\(path): \(data.count) bytes, over the \(maximumFileBytes)-byte limit for walked files")
            return
        }
        if data.prefix(8192).contains(0) {
            result.skipped.append("\(path): binary (contains NUL bytes)")
            return
        }
        guard let text = String(validatingUTF8Data: data) else {
            result.skipped.append("\(path): not valid UTF-8")
            return
        }
        if text.isEmpty {
            result.skipped.append("\(path): empty")
            return
        }
        result.documents.append(Document(source: path, text: text, language: CodeLanguages.language(fileName: path)))
    }

    private func readJSONL(_ path: String, _ data: Data, into result: inout Result) {
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                result.skipped.append("\(path):\(lineNumber): not a JSON object")
                continue
            }
            guard let text = object["text"] as? String else {
                result.skipped.append("\(path):\(lineNumber): no string field \"text\"")
                continue
            }
            if text.isEmpty { continue }
            let language = (object["language"] as? String).flatMap { $0.isEmpty ? nil : $0.lowercased() }
            result.documents.append(
                Document(source: "\(path):\(lineNumber)", text: text, language: language, key: object["key"] as? String))
        }
    }
}

extension String {
    /// Decodes UTF-8, returning nil (instead of repairing) when the bytes are not valid UTF-8.
    init?(validatingUTF8Data data: Data) {
        guard let s = String(validating: data, as: UTF8.self) else { return nil }
        self = s
    }
}
