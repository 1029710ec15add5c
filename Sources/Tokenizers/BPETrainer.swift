/// Learns byte-level BPE merges from texts, producing a `GPT2Tokenizer` that saves in GPT-2's format.
///
/// Same pipeline as encoding: texts are cut at special tokens, then split by `GPT2PreTokenizer`, and
/// merges never cross pre-token boundaries. Each step merges the adjacent pair with the highest count
/// (weighted by word frequency; ties go to the pair with the smaller ids, so training is deterministic).
/// Ids: the 256 byte tokens in `bytes_to_unicode` order (as in GPT-2, "!" = 0), then merged tokens in
/// the order learned, then the special tokens.
public struct BPETrainer: Sendable {
    /// Total vocabulary wanted: 256 bytes + merged tokens + special tokens.
    public let vocabularySize: Int
    /// Appended after the merged tokens, in this order.
    public let specialTokens: [String]
    /// Pairs seen fewer times than this are never merged (training may stop below `vocabularySize`).
    public let minimumPairFrequency: Int

    public init(
        vocabularySize: Int, specialTokens: [String] = ["<|endoftext|>"], minimumPairFrequency: Int = 2
    ) throws(TokenizerError) {
        guard vocabularySize >= 256 + specialTokens.count else {
            throw .invalidArgument(
                name: "vocabularySize",
                reason: "\(vocabularySize) is below 256 byte tokens + \(specialTokens.count) special tokens")
        }
        guard minimumPairFrequency >= 1 else {
            throw .invalidArgument(name: "minimumPairFrequency", reason: "\(minimumPairFrequency) is below 1")
        }
        for (index, token) in specialTokens.enumerated() {
            guard !token.isEmpty else {
                throw .invalidArgument(name: "specialTokens[\(index)]", reason: "is empty; a special token needs text")
            }
            guard !specialTokens[..<index].contains(where: { Array($0.utf8) == Array(token.utf8) }) else {
                throw .invalidArgument(name: "specialTokens[\(index)]", reason: "\"\(token)\" is listed twice")
            }
        }
        self.vocabularySize = vocabularySize
        self.specialTokens = specialTokens
        self.minimumPairFrequency = minimumPairFrequency
    }

    /// Trains on `texts` and returns the tokenizer.
    ///
    /// Throws `invalidArgument` if a special token's text equals a learned or byte token's spelling.
    public func train(texts: some Sequence<String>) throws(TokenizerError) -> GPT2Tokenizer {
        var state = BPETrainingState(wordCounts: countWords(texts))
        state.learn(newTokens: vocabularySize - 256 - specialTokens.count, minimumCount: minimumPairFrequency)

        var vocabulary: [String: Int] = [:]
        for (id, bytes) in state.tokenBytes.enumerated() { vocabulary[ByteLevelAlphabet.string(for: bytes)] = id }
        for (index, token) in specialTokens.enumerated() {
            guard vocabulary[token] == nil else {
                throw .invalidArgument(
                    name: "specialTokens[\(index)]", reason: "\"\(token)\" is also the spelling of a learned token")
            }
            vocabulary[token] = state.tokenBytes.count + index
        }
        let merges = state.merges.map {
            (
                ByteLevelAlphabet.string(for: state.tokenBytes[Int($0.left)]),
                ByteLevelAlphabet.string(for: state.tokenBytes[Int($0.right)])
            )
        }
        return try GPT2Tokenizer(vocabulary: vocabulary, merges: merges)
    }

    /// Frequency of each pre-token (as bytes: `String` keys would merge canonically equal spellings).
    private func countWords(_ texts: some Sequence<String>) -> [[UInt8]: Int] {
        var ids: [String: Int] = [:]
        for (index, token) in specialTokens.enumerated() { ids[token] = index }
        let matcher = SpecialTokenMatcher(ids)
        var counts: [[UInt8]: Int] = [:]
        for text in texts {
            var text = text
            text.withUTF8 { utf8 in
                matcher.split(
                    utf8,
                    ordinary: { stretch in
                        var scanner = PreTokenScanner(stretch)
                        while let range = scanner.next() { counts[Array(stretch[range]), default: 0] += 1 }
                    },
                    special: { _ in })
            }
        }
        return counts
    }
}
