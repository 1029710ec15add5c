import Foundation

/// Reading and writing the two files of a byte-level BPE tokenizer.
///
/// The vocabulary is `encoder.json` (OpenAI) or `vocab.json` (Hugging Face): a JSON object of token
/// string to id. The merges are `vocab.bpe` (OpenAI) or `merges.txt` (Hugging Face): an optional
/// `#version` header line, then one merge per line, two symbols separated by one space, in rank order.
/// Both pairs hold the same data in the same syntax.
enum TokenizerFiles {
    /// One merges line, with its 1-based line number for error messages.
    struct MergeLine: Equatable {
        var left: String
        var right: String
        var line: Int
    }

    /// The vocabulary and merges files in `directory`, OpenAI's names first.
    static func locate(in directory: URL) throws(TokenizerError) -> (vocabulary: URL, merges: URL) {
        let pairs = [("encoder.json", "vocab.bpe"), ("vocab.json", "merges.txt")]
        let manager = FileManager.default
        for (vocabularyName, mergesName) in pairs {
            let vocabulary = directory.appendingPathComponent(vocabularyName)
            let merges = directory.appendingPathComponent(mergesName)
            let hasVocabulary = manager.fileExists(atPath: vocabulary.path)
            let hasMerges = manager.fileExists(atPath: merges.path)
            if hasVocabulary && hasMerges { return (vocabulary, merges) }
            if hasVocabulary { throw .missingFile(path: merges.path) }
            if hasMerges { throw .missingFile(path: vocabulary.path) }
        }
        throw .missingTokenizerFiles(directory: directory.path)
    }

    static func readData(_ url: URL) throws(TokenizerError) -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else { throw .missingFile(path: url.path) }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Parses a vocabulary JSON object; ids must be integers (uniqueness and range are checked later).
    ///
    /// `JSONDecoder` rather than `JSONSerialization`: on Linux the latter's `NSNumber`s make `1` and
    /// `true` indistinguishable, while the decoder rejects `true`, `1.5` and `"1"` for an `Int`.
    static func readVocabulary(_ url: URL) throws(TokenizerError) -> [String: Int] {
        let data = try readData(url)
        do {
            return try JSONDecoder().decode([String: Int].self, from: data)
        } catch {
            throw diagnoseVocabulary(data, path: url.path, decodingError: error)
        }
    }

    /// Turns a failed decode into the most specific error: syntax, shape, or the entry at fault.
    private static func diagnoseVocabulary(_ data: Data, path: String, decodingError: Error) -> TokenizerError {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            return .invalidJSON(path: path, reason: "JSON syntax error: \(error.localizedDescription)")
        }
        guard let entries = object as? [String: Any] else {
            return .invalidJSON(path: path, reason: "the top level is not an object")
        }
        switch decodingError {
        case DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context):
            if let key = context.codingPath.last {
                return .invalidVocabularyEntry(path: path, token: key.stringValue, reason: "the id is not an integer")
            }
        default:
            break
        }
        for (token, value) in entries.sorted(by: { $0.key < $1.key }) {
            guard let number = value as? NSNumber, Int(exactly: number.doubleValue) != nil else {
                return .invalidVocabularyEntry(path: path, token: token, reason: "id \(value) is not an integer")
            }
        }
        return .invalidJSON(path: path, reason: "\(decodingError)")
    }

    /// Parses a merges file; a first line starting with `#version` is a header, blank lines are skipped.
    static func readMerges(_ url: URL) throws(TokenizerError) -> [MergeLine] {
        try parseMerges(Array(try readData(url)), path: url.path)
    }

    /// Splits on bytes, not `Character`s: "\r\n" is one `Character`, and so is a space followed by a
    /// combining mark, which would hide the separator.
    static func parseMerges(_ bytes: [UInt8], path: String) throws(TokenizerError) -> [MergeLine] {
        var merges: [MergeLine] = []
        var lineNumber = 0
        var lineStart = 0
        while lineStart < bytes.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let nextLine = lineEnd + 1
            if lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            defer { lineStart = nextLine }
            let line = bytes[lineStart..<lineEnd]
            guard !line.isEmpty else { continue }
            if lineNumber == 1 && line.starts(with: Array("#version".utf8)) { continue }
            guard let text = String(bytes: line, encoding: .utf8) else {
                throw .malformedMerge(path: path, line: lineNumber, text: String(decoding: line, as: UTF8.self))
            }
            let spaces = line.indices.filter { line[$0] == 0x20 }
            guard spaces.count == 1, let space = spaces.first, space > line.startIndex, space < lineEnd - 1 else {
                throw .malformedMerge(path: path, line: lineNumber, text: text)
            }
            merges.append(
                MergeLine(
                    left: String(decoding: bytes[lineStart..<space], as: UTF8.self),
                    right: String(decoding: bytes[(space + 1)..<lineEnd], as: UTF8.self),
                    line: lineNumber))
        }
        return merges
    }

    static func write(_ data: Data, to url: URL) throws(TokenizerError) {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw .writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }

    /// `json.dumps(encoder)` byte for byte: entries in id order, `", "` and `": "` separators, every
    /// scalar outside printable ASCII escaped as `\uXXXX` (UTF-16, lowercase hex). OpenAI's
    /// `encoder.json` is exactly this, so saving GPT-2 reproduces the original file.
    static func encoderJSON(tokensByID: [String?]) -> Data {
        var out = "{"
        var first = true
        for (id, token) in tokensByID.enumerated() {
            guard let token else { continue }
            if !first { out += ", " }
            first = false
            out += jsonString(token)
            out += ": \(id)"
        }
        out += "}"
        return Data(out.utf8)
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out + "\""
    }

    /// `vocab.bpe`: the `#version: 0.2` header, then one merge per line.
    static func mergesText(_ merges: [(left: String, right: String)]) -> Data {
        var out = "#version: 0.2\n"
        for merge in merges { out += merge.left + " " + merge.right + "\n" }
        return Data(out.utf8)
    }
}
