import Foundation

/// What the rest of sedd needs from a tokenizer: text to ids and back, and the bytes each id stands for.
///
/// Implementations are immutable after creation (any cache is internally locked), so one instance can be
/// shared by threads that encode and decode concurrently.
public protocol Tokenizer: Sendable {
    /// One more than the largest id; model embedding tables have this many rows (or more).
    var vocabularySize: Int { get }

    /// The id of `<|endoftext|>`, if the vocabulary has it.
    var endOfTextID: Int? { get }

    /// Encodes text; when `allowSpecial` is true, special-token strings in the text (such as
    /// `<|endoftext|>`) become their ids, otherwise they are encoded as ordinary text.
    func encode(_ text: String, allowSpecial: Bool) -> [Int]

    /// The bytes the ids stand for, concatenated. A token may hold part of a UTF-8 character, so the
    /// result need not be valid UTF-8. Ids outside the vocabulary contribute no bytes.
    func decodeBytes(_ ids: [Int]) -> [UInt8]

    /// The id of a vocabulary string (byte-level form, e.g. "Ġworld"; or a special token's text).
    func id(of token: String) -> Int?

    /// The vocabulary string of an id, or nil if the id is not in the vocabulary.
    func token(_ id: Int) -> String?

    /// The bytes one id stands for (empty for an id outside the vocabulary).
    func tokenBytes(_ id: Int) -> [UInt8]

    /// Writes `encoder.json` and `vocab.bpe` into `directory` (created if missing), so that
    /// `GPT2Tokenizer(directory:)` reads back the same tokenizer.
    func save(to directory: URL) throws(TokenizerError)
}

extension Tokenizer {
    /// Encodes text as ordinary text: special-token strings get no special treatment.
    public func encode(_ text: String) -> [Int] {
        encode(text, allowSpecial: false)
    }

    /// Decodes ids to text; lossless for any sequence `encode` produced. Bytes that do not form valid
    /// UTF-8 (a sequence cut inside a character) become U+FFFD.
    public func decode(_ ids: [Int]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    /// Ids whose bytes hold a line feed: the tokens that end a line (or start the next).
    public func lineBreakIDs() -> [Int] {
        (0..<vocabularySize).filter { tokenBytes($0).contains(0x0A) }
    }
}
