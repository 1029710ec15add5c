import Foundation

/// Everything that can go wrong when a tokenizer is read from, or written to, files, or trained.
///
/// Every message names the file (or argument) at fault, what was wrong with it, and what is accepted.
public enum TokenizerError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A directory holds neither `encoder.json` + `vocab.bpe` nor `vocab.json` + `merges.txt`.
    case missingTokenizerFiles(directory: String)
    /// A file that must exist does not.
    case missingFile(path: String)
    /// A file exists but could not be read (permissions, I/O) or is not UTF-8 text.
    case unreadableFile(path: String, reason: String)
    /// The vocabulary file is not a JSON object of token string to integer id.
    case invalidJSON(path: String, reason: String)
    /// One vocabulary entry is unusable (negative id, id used twice, non-integer id).
    case invalidVocabularyEntry(path: String, token: String, reason: String)
    /// The vocabulary lacks the token for one of the 256 bytes, so some text could not be encoded.
    case missingByteToken(path: String, byte: UInt8, token: String)
    /// A merges line is not two symbols separated by one space.
    case malformedMerge(path: String, line: Int, text: String)
    /// A merges line names a symbol (or a merged result) that is not in the vocabulary.
    case unknownMergeSymbol(path: String, line: Int, symbol: String)
    /// Writing a tokenizer file failed.
    case writeFailed(path: String, reason: String)
    /// A trainer or tokenizer argument is out of range.
    case invalidArgument(name: String, reason: String)

    public var description: String {
        switch self {
        case .missingTokenizerFiles(let directory):
            return "\(directory): no tokenizer files; expected encoder.json + vocab.bpe (OpenAI GPT-2) "
                + "or vocab.json + merges.txt (Hugging Face)"
        case .missingFile(let path):
            return "\(path): file not found"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot be read (\(reason)); expected a readable UTF-8 text file"
        case .invalidJSON(let path, let reason):
            return "\(path): not a tokenizer vocabulary (\(reason)); expected a JSON object mapping "
                + "token strings to non-negative integer ids"
        case .invalidVocabularyEntry(let path, let token, let reason):
            return "\(path): entry \(Self.quoted(token)): \(reason); expected a unique non-negative integer id"
        case .missingByteToken(let path, let byte, let token):
            return "\(path): no token for byte \(byte) (\(Self.quoted(token))); a byte-level vocabulary must "
                + "hold all 256 byte tokens in GPT-2's bytes_to_unicode form"
        case .malformedMerge(let path, let line, let text):
            return "\(path):\(line): malformed merge \(Self.quoted(text)); expected two symbols separated by "
                + "one space, e.g. \"Ġ t\""
        case .unknownMergeSymbol(let path, let line, let symbol):
            return "\(path):\(line): merge names \(Self.quoted(symbol)), which is not in the vocabulary; every "
                + "merge's two symbols and their concatenation must be vocabulary tokens"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write (\(reason))"
        case .invalidArgument(let name, let reason):
            return "\(name): \(reason)"
        }
    }

    public var errorDescription: String? { description }

    /// Quotes with escapes so control characters and invisible symbols in a message stay readable.
    private static func quoted(_ text: String) -> String {
        let shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        return "\"" + shown.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
    }
}
