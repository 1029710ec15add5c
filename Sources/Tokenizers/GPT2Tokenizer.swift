import Foundation

/// GPT-2's byte-level BPE tokenizer, exact to OpenAI's encoder (and tiktoken's `gpt2` encoding).
///
/// Text is split by `GPT2PreTokenizer`, each piece's UTF-8 bytes become byte tokens, and merges are
/// applied by rank. Special tokens are the vocabulary entries that no byte or merge produces (for GPT-2,
/// only `<|endoftext|>` = 50256); they are recognised in text only when asked.
///
/// Immutable after `init`; the word cache is locked, so one instance may be shared across threads.
public final class GPT2Tokenizer: Tokenizer {
    public let vocabularySize: Int
    public let endOfTextID: Int?
    /// Special tokens (text to id): entries that no byte or merge produces.
    public let specialTokens: [String: Int]
    /// Number of merges (50,000 for GPT-2).
    public var mergeCount: Int { mergeTable.merges.count }

    private let idsByToken: [String: Int]
    /// Vocabulary string of each id; nil for ids the vocabulary skips.
    private let tokensByID: [String?]
    /// Id of the token for each byte value.
    private let byteTokenIDs: [Int32]
    let mergeTable: BPEMergeTable
    private let specialMatcher: SpecialTokenMatcher
    /// The bytes of token `id` are `tokenByteStorage[tokenByteStarts[id]..<tokenByteStarts[id + 1]]`.
    private let tokenByteStarts: [Int]
    private let tokenByteStorage: [UInt8]
    private let cache = WordCache()
    /// Ids index flat tables, so a stray huge id must be an error rather than a huge allocation.
    static let idLimit = 1 << 24

    /// Loads `encoder.json` + `vocab.bpe` (OpenAI) or, if those are absent, `vocab.json` + `merges.txt`
    /// (Hugging Face) from `directory`.
    public convenience init(directory: URL) throws(TokenizerError) {
        let files = try TokenizerFiles.locate(in: directory)
        try self.init(vocabularyFile: files.vocabulary, mergesFile: files.merges)
    }

    /// Loads a vocabulary JSON file (`encoder.json` / `vocab.json`) and a merges file
    /// (`vocab.bpe` / `merges.txt`).
    public convenience init(vocabularyFile: URL, mergesFile: URL) throws(TokenizerError) {
        let vocabulary = try TokenizerFiles.readVocabulary(vocabularyFile)
        let merges = try TokenizerFiles.readMerges(mergesFile)
        try self.init(
            vocabulary: vocabulary, mergeLines: merges, vocabularyName: vocabularyFile.path,
            mergesName: mergesFile.path)
    }

    /// Builds a tokenizer from a vocabulary (byte-level token string to id) and merges in rank order.
    public convenience init(vocabulary: [String: Int], merges: [(String, String)]) throws(TokenizerError) {
        let lines = merges.enumerated().map { TokenizerFiles.MergeLine(left: $1.0, right: $1.1, line: $0 + 1) }
        try self.init(vocabulary: vocabulary, mergeLines: lines, vocabularyName: "vocabulary", mergesName: "merges")
    }

    init(
        vocabulary: [String: Int], mergeLines: [TokenizerFiles.MergeLine], vocabularyName: String,
        mergesName: String
    ) throws(TokenizerError) {
        // Ids: non-negative, each used once; gaps are allowed and decode to nothing.
        var tokensByID: [String?] = []
        for (token, id) in vocabulary.sorted(by: { $0.value < $1.value }) {
            guard id >= 0, id < Self.idLimit else {
                throw .invalidVocabularyEntry(
                    path: vocabularyName, token: token, reason: "id \(id) is outside 0..<\(Self.idLimit)")
            }
            if id < tokensByID.count, let other = tokensByID[id] {
                throw .invalidVocabularyEntry(
                    path: vocabularyName, token: token, reason: "id \(id) is also used by \"\(other)\"")
            }
            if id >= tokensByID.count { tokensByID += [String?](repeating: nil, count: id + 1 - tokensByID.count) }
            tokensByID[id] = token
        }

        var reachable = Set<Int>()
        var byteTokenIDs = [Int32](repeating: 0, count: 256)
        for byte in 0..<256 {
            let token = String(ByteLevelAlphabet.scalarForByte[byte])
            guard let id = vocabulary[token] else {
                throw .missingByteToken(path: vocabularyName, byte: UInt8(byte), token: token)
            }
            byteTokenIDs[byte] = Int32(id)
            reachable.insert(id)
        }

        var merges: [BPEMergeTable.Merge] = []
        merges.reserveCapacity(mergeLines.count)
        for line in mergeLines {
            let product = line.left + line.right
            guard let left = vocabulary[line.left] else {
                throw .unknownMergeSymbol(path: mergesName, line: line.line, symbol: line.left)
            }
            guard let right = vocabulary[line.right] else {
                throw .unknownMergeSymbol(path: mergesName, line: line.line, symbol: line.right)
            }
            guard let merged = vocabulary[product] else {
                throw .unknownMergeSymbol(path: mergesName, line: line.line, symbol: product)
            }
            merges.append(BPEMergeTable.Merge(left: Int32(left), right: Int32(right), merged: Int32(merged)))
            reachable.insert(merged)
        }

        var specialTokens: [String: Int] = [:]
        for (token, id) in vocabulary where !reachable.contains(id) { specialTokens[token] = id }

        // Ordinary tokens stand for their byte-level spelling; special tokens for their literal text, so
        // that decoding what `encode(_:allowSpecial: true)` produced gives the text back.
        var tokenByteStarts = [0]
        var tokenByteStorage: [UInt8] = []
        tokenByteStarts.reserveCapacity(tokensByID.count + 1)
        for (id, token) in tokensByID.enumerated() {
            if let token {
                if specialTokens[token] == id {
                    tokenByteStorage += Array(token.utf8)
                } else {
                    tokenByteStorage += ByteLevelAlphabet.bytes(for: token) ?? Array(token.utf8)
                }
            }
            tokenByteStarts.append(tokenByteStorage.count)
        }

        self.vocabularySize = tokensByID.count
        self.idsByToken = vocabulary
        self.tokensByID = tokensByID
        self.byteTokenIDs = byteTokenIDs
        self.mergeTable = BPEMergeTable(merges: merges)
        self.specialTokens = specialTokens
        self.specialMatcher = SpecialTokenMatcher(specialTokens)
        self.endOfTextID = specialTokens["<|endoftext|>"] ?? vocabulary["<|endoftext|>"]
        self.tokenByteStarts = tokenByteStarts
        self.tokenByteStorage = tokenByteStorage
    }

    // MARK: Encoding

    public func encode(_ text: String, allowSpecial: Bool) -> [Int] {
        var text = text
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3 + 1)
        text.withUTF8 { utf8 in
            if allowSpecial && !specialMatcher.isEmpty {
                specialMatcher.split(
                    utf8, ordinary: { encodeOrdinary($0, into: &ids) }, special: { ids.append($0) })
            } else {
                encodeOrdinary(utf8, into: &ids)
            }
        }
        return ids
    }

    /// Encodes valid UTF-8 with no special-token handling.
    private func encodeOrdinary(_ utf8: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) {
        byteTokenIDs.withUnsafeBufferPointer { byteTokenIDs in
            var scanner = PreTokenScanner(utf8)
            while let range = scanner.next() {
                if range.count == 1 {
                    ids.append(Int(byteTokenIDs[Int(utf8[range.lowerBound])]))
                } else {
                    encodeWord(UnsafeBufferPointer(rebasing: utf8[range]), byteTokenIDs, into: &ids)
                }
            }
        }
    }

    private func encodeWord(
        _ word: UnsafeBufferPointer<UInt8>, _ byteTokenIDs: UnsafeBufferPointer<Int32>, into ids: inout [Int]
    ) {
        let cacheKey = word.count <= WordCache.maximumWordLength ? WordCache.Key(word) : nil
        if let cacheKey, let cached = cache.lookup(cacheKey) {
            for id in cached { ids.append(Int(id)) }
            return
        }
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: word.count) { symbols in
            for (index, byte) in word.enumerated() { symbols[index] = byteTokenIDs[Int(byte)] }
            let count = mergeTable.applyMerges(symbols.baseAddress!, count: word.count)
            for index in 0..<count { ids.append(Int(symbols[index])) }
            if let cacheKey { cache.insert(cacheKey, Array(symbols[0..<count])) }
        }
    }

    // MARK: Decoding and lookup

    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && id < vocabularySize {
            bytes += tokenByteStorage[tokenByteStarts[id]..<tokenByteStarts[id + 1]]
        }
        return bytes
    }

    public func tokenBytes(_ id: Int) -> [UInt8] {
        guard id >= 0 && id < vocabularySize else { return [] }
        return Array(tokenByteStorage[tokenByteStarts[id]..<tokenByteStarts[id + 1]])
    }

    public func id(of token: String) -> Int? {
        idsByToken[token]
    }

    public func token(_ id: Int) -> String? {
        id >= 0 && id < tokensByID.count ? tokensByID[id] : nil
    }

    /// The merges in rank order, as vocabulary strings.
    public var merges: [(String, String)] {
        mergeTable.merges.map { (tokensByID[Int($0.left)] ?? "", tokensByID[Int($0.right)] ?? "") }
    }

    // MARK: Saving

    /// Writes `encoder.json` and `vocab.bpe` in OpenAI's exact format (GPT-2's own files come out
    /// byte-identical).
    public func save(to directory: URL) throws(TokenizerError) {
        try TokenizerFiles.write(
            TokenizerFiles.encoderJSON(tokensByID: tokensByID), to: directory.appendingPathComponent("encoder.json"))
        try TokenizerFiles.write(
            TokenizerFiles.mergesText(merges.map { (left: $0.0, right: $0.1) }),
            to: directory.appendingPathComponent("vocab.bpe"))
    }
}
