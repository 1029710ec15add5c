import Foundation

/// A tokenizer whose ids are the 256 byte values, followed by optional special tokens (ids 256...).
///
/// For tiny test models (`sedd init --tokenizer bytes`): no files to ship, any text round-trips, and a
/// vocabulary small enough for a model that trains in seconds.
public struct ByteTokenizer: Tokenizer {
    /// Special tokens in id order; `specialTokens[i]` has id `256 + i`.
    public let specialTokens: [String]
    private let specialMatcher: SpecialTokenMatcher

    /// - Parameter specialTokens: texts that get their own ids after the bytes, e.g. `["<|endoftext|>"]`.
    ///   Empty strings, duplicates and single byte-token spellings (such as "!") are rejected.
    public init(specialTokens: [String] = []) throws(TokenizerError) {
        for (index, token) in specialTokens.enumerated() {
            if token.isEmpty {
                throw .invalidArgument(name: "specialTokens[\(index)]", reason: "is empty; a special token needs text")
            }
            if specialTokens[..<index].contains(where: { Array($0.utf8) == Array(token.utf8) }) {
                throw .invalidArgument(name: "specialTokens[\(index)]", reason: "\"\(token)\" is listed twice")
            }
            if let bytes = ByteLevelAlphabet.bytes(for: token), bytes.count == 1 {
                throw .invalidArgument(
                    name: "specialTokens[\(index)]", reason: "\"\(token)\" is the spelling of byte \(bytes[0])")
            }
        }
        self.specialTokens = specialTokens
        var ids: [String: Int] = [:]
        for (index, token) in specialTokens.enumerated() { ids[token] = 256 + index }
        self.specialMatcher = SpecialTokenMatcher(ids)
    }

    public var vocabularySize: Int { 256 + specialTokens.count }

    public var endOfTextID: Int? { specialTokens.firstIndex(of: "<|endoftext|>").map { 256 + $0 } }

    public func encode(_ text: String, allowSpecial: Bool) -> [Int] {
        guard allowSpecial && !specialMatcher.isEmpty else { return text.utf8.map { Int($0) } }
        var text = text
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count)
        text.withUTF8 { utf8 in
            specialMatcher.split(
                utf8, ordinary: { stretch in for byte in stretch { ids.append(Int(byte)) } },
                special: { ids.append($0) })
        }
        return ids
    }

    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count)
        for id in ids { bytes += tokenBytes(id) }
        return bytes
    }

    public func tokenBytes(_ id: Int) -> [UInt8] {
        if id >= 0 && id < 256 { return [UInt8(id)] }
        if id >= 256 && id < vocabularySize { return Array(specialTokens[id - 256].utf8) }
        return []
    }

    /// Byte tokens are spelled as in GPT-2 (`bytes_to_unicode`: "Ġ" is the space, id 32).
    public func id(of token: String) -> Int? {
        if let index = specialTokens.firstIndex(where: { Array($0.utf8) == Array(token.utf8) }) { return 256 + index }
        if let bytes = ByteLevelAlphabet.bytes(for: token), bytes.count == 1 { return Int(bytes[0]) }
        return nil
    }

    public func token(_ id: Int) -> String? {
        if id >= 0 && id < 256 { return String(ByteLevelAlphabet.scalarForByte[id]) }
        if id >= 256 && id < vocabularySize { return specialTokens[id - 256] }
        return nil
    }

    /// Writes the byte vocabulary (byte `b` has id `b`) and an empty merge list, so that
    /// `GPT2Tokenizer(directory:)` loads a tokenizer giving the same ids as this one.
    public func save(to directory: URL) throws(TokenizerError) {
        let tokens: [String?] = (0..<vocabularySize).map { token($0) }
        try TokenizerFiles.write(
            TokenizerFiles.encoderJSON(tokensByID: tokens), to: directory.appendingPathComponent("encoder.json"))
        try TokenizerFiles.write(TokenizerFiles.mergesText([]), to: directory.appendingPathComponent("vocab.bpe"))
    }
}
