/// The languages of the corpus, told apart by file extension only.
public enum CodeLanguage: String, CaseIterable, Comparable, Sendable {
    case swift, python, go, rust, c, javascript, typescript, ruby, perl
    /// reStructuredText prose (Python's documentation sources).
    case rst

    public static func < (lhs: CodeLanguage, rhs: CodeLanguage) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The language of a file name, or nil for a file the corpus does not take.
    ///
    /// `.rst.txt` is how Sphinx ships reST sources in `_sources/`; `.h` counts as C because the C
    /// sources are C projects (the C++ headers of the system are deliberately not a source).
    public static func of(fileName name: String) -> CodeLanguage? {
        if name.hasSuffix(".rst.txt") { return .rst }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...] {
        case "swift": return .swift
        case "py": return .python
        case "go": return .go
        case "rs": return .rust
        case "c", "h": return .c
        case "js", "mjs", "cjs": return .javascript
        case "ts", "mts", "cts", "tsx": return .typescript
        case "rb": return .ruby
        case "pm", "pl": return .perl
        case "rst": return .rst
        default: return nil
        }
    }
}
