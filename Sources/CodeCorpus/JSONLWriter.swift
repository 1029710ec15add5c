import Foundation

/// Writes `DIR/<split>.jsonl`, one `{"key", "language", "text"}` object per line, in key order.
public enum JSONLWriter {
    /// Writes all four split files (an empty split gives an empty file) and returns their URLs.
    @discardableResult
    public static func write(_ files: [CorpusFile], to directory: URL) throws -> [CorpusSplit: URL] {
        try CacheDirectory.create(directory)
        var urls: [CorpusSplit: URL] = [:]
        for split in CorpusSplit.allCases {
            let url = directory.appendingPathComponent(split.rawValue + ".jsonl")
            var buffer = [UInt8]()
            let selected = files.filter { $0.split == split }
            buffer.reserveCapacity(selected.reduce(0) { $0 + $1.text.count + $1.key.utf8.count + 64 })
            for file in selected { appendRow(file, to: &buffer) }
            do {
                try Data(buffer).write(to: url, options: .atomic)
            } catch {
                throw CorpusError.outputUnwritable(path: url.path, reason: error.localizedDescription)
            }
            urls[split] = url
        }
        return urls
    }

    static func appendRow(_ file: CorpusFile, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: Array(#"{"key":"#.utf8))
        appendString(Array(file.key.utf8), to: &buffer)
        buffer.append(contentsOf: Array(#","language":"#.utf8))
        appendString(Array(file.language.rawValue.utf8), to: &buffer)
        buffer.append(contentsOf: Array(#","text":"#.utf8))
        appendString(file.text, to: &buffer)
        buffer.append(contentsOf: Array("}\n".utf8))
    }

    /// A JSON string literal of valid UTF-8 bytes: quotes, backslashes and control characters are
    /// escaped, everything else (including non-ASCII) is copied as is.
    static func appendString(_ bytes: [UInt8], to buffer: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        buffer.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): buffer.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [92, 92])
            case 10: buffer.append(contentsOf: [92, UInt8(ascii: "n")])
            case 9: buffer.append(contentsOf: [92, UInt8(ascii: "t")])
            case 13: buffer.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0..<32:
                buffer.append(contentsOf: Array("\\u00".utf8))
                buffer.append(hex[Int(byte >> 4)])
                buffer.append(hex[Int(byte & 15)])
            default: buffer.append(byte)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }
}
