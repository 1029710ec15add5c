/// The special tokens of a code vocabulary and the languages they name.
///
/// A code model is told the language of its text by a tag token at position 0 (`<|lang:swift|>`).
/// The tags, `<|endoftext|>` and `<|pad|>` are ordinary ids at the end of the vocabulary (after the
/// learned merges); the absorbing graph's mask stays outside it, one past the last id.
///
/// Language names are the corpus's (`swift`, `python`, ...). Editors send their own ids
/// (`typescriptreact`, `cpp`), and files have extensions; both map onto the corpus names here, so the
/// trainer and the engine agree on which tag a text gets.
public enum CodeLanguages {
    /// The corpus's languages, in the order their tags get ids.
    public static let corpus = ["swift", "python", "go", "rust", "c", "javascript", "typescript", "ruby", "perl", "rst"]

    public static let endOfText = "<|endoftext|>"
    public static let padding = "<|pad|>"

    /// The tag text of a language: `<|lang:swift|>`.
    public static func tag(_ language: String) -> String { "<|lang:\(language)|>" }

    /// The language a tag names, or nil when `token` is not a tag.
    public static func language(ofTag token: String) -> String? {
        guard token.hasPrefix("<|lang:"), token.hasSuffix("|>"), token.count > 9 else { return nil }
        return String(token.dropFirst(7).dropLast(2))
    }

    /// The special tokens of a code vocabulary, in id order: end-of-text, padding, one tag per language.
    public static func specialTokens(languages: [String] = corpus) -> [String] {
        [endOfText, padding] + languages.map(tag)
    }

    /// Editor language ids (VS Code's, which Neovim and Emacs largely share) to corpus languages.
    static let editorIDs: [String: String] = [
        "swift": "swift", "python": "python", "go": "go", "rust": "rust", "c": "c", "cpp": "c", "objective-c": "c",
        "objc": "c", "javascript": "javascript", "javascriptreact": "javascript", "typescript": "typescript",
        "typescriptreact": "typescript", "ruby": "ruby", "perl": "perl", "restructuredtext": "rst", "rst": "rst",
    ]

    /// File extensions (lower case, no dot) to corpus languages.
    static let extensions: [String: String] = [
        "swift": "swift", "py": "python", "pyi": "python", "go": "go", "rs": "rust", "c": "c", "h": "c", "cc": "c",
        "cpp": "c", "cxx": "c", "hpp": "c", "hh": "c", "m": "c", "js": "javascript", "mjs": "javascript",
        "cjs": "javascript", "jsx": "javascript", "ts": "typescript", "mts": "typescript", "cts": "typescript",
        "tsx": "typescript", "rb": "ruby", "pl": "perl", "pm": "perl", "t": "perl", "rst": "rst",
    ]

    /// The corpus language for an editor's language id (`cpp` gives `c`), case-insensitive.
    public static func language(editorID: String) -> String? {
        editorIDs[editorID.lowercased()]
    }

    /// The corpus language for a file name or path, from its extension (`a/b.tsx` gives `typescript`).
    public static func language(fileName: String) -> String? {
        let name = fileName.split(separator: "/").last.map(String.init) ?? fileName
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        return extensions[name[name.index(after: dot)...].lowercased()]
    }

    /// The language tags a tokenizer has, language to id (empty when it has none).
    public static func tagIDs(_ tokenizer: any Tokenizer) -> [String: Int] {
        var tags: [String: Int] = [:]
        for (token, id) in specialTokenIDs(tokenizer) {
            if let language = language(ofTag: token) { tags[language] = id }
        }
        return tags
    }

    /// Every special token of a tokenizer (text to id): GPT-2-format files and byte tokenizers.
    public static func specialTokenIDs(_ tokenizer: any Tokenizer) -> [String: Int] {
        if let bpe = tokenizer as? GPT2Tokenizer { return bpe.specialTokens }
        if let bytes = tokenizer as? ByteTokenizer {
            var ids: [String: Int] = [:]
            for (index, token) in bytes.specialTokens.enumerated() { ids[token] = 256 + index }
            return ids
        }
        return [:]
    }
}
