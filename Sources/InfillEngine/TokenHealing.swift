import Tokenizers

/// Token healing at hole edges.
///
/// Text around a hole is tokenized on its own, so a hole edge inside a word (`let fo|o = 1`) or after
/// indentation cuts a pre-token the model never saw cut in training: the prefix ends in the token
/// " fo" where the training text had " foo". Healing moves the cut piece from the context into the
/// hole as a required start (or end) of the fill. The engine then fixes the hole's first (last)
/// positions to tokens consistent with those bytes, chosen by the model, and leaves the bytes out of
/// the returned fill, so nothing is typed twice.
struct HoleHealing: Equatable {
    /// Bytes the fill must start with (moved from the end of the text before the hole).
    var requiredStart: [UInt8] = []
    /// Bytes the fill must end with (moved from the start of the text after the hole).
    var requiredEnd: [UInt8] = []
}

enum TokenHealing {
    /// Longest piece moved into a hole; longer words stay in the context.
    static let maximumBytes = 32

    /// The segments with the healed pieces removed, and what each hole must start and end with.
    ///
    /// A hole heals its start when the text before it ends in a word or number pre-token (with its
    /// leading space) or in whitespace, and its end when both sides of it are word characters (the
    /// cursor is inside a word). A hole of one token is not healed: it would have no free position.
    /// An inner segment that is one piece heals only the hole before it (its end).
    static func heal(segments: [String], holeTokens: [Int]) -> (segments: [String], healing: [HoleHealing]) {
        precondition(segments.count == holeTokens.count + 1, "n+1 segments around n holes")
        var segments = segments
        var healing = [HoleHealing](repeating: HoleHealing(), count: holeTokens.count)
        for hole in holeTokens.indices where holeTokens[hole] >= 2 {
            let before = segments[hole], after = segments[hole + 1]
            if holeTokens[hole] >= 3, endsInWordCharacter(before), let piece = leadingWordPiece(after) {
                healing[hole].requiredEnd = Array(piece.utf8)
                segments[hole + 1] = String(after.dropFirst(piece.count))
            }
            // `before` is what an earlier hole's end healing left of an inner segment.
            if let piece = trailingPiece(before) {
                healing[hole].requiredStart = Array(piece.utf8)
                segments[hole] = String(before.dropLast(piece.count))
            }
        }
        return (segments, healing)
    }

    /// The last pre-token of `text` when a fill could continue it: letters or digits (with GPT-2's
    /// leading space), or a whitespace run.
    static func trailingPiece(_ text: String) -> String? {
        guard !text.isEmpty else { return nil }
        let window = String(text.suffix(maximumBytes + 1))
        guard let piece = GPT2PreTokenizer.split(window).last, piece.utf8.count <= maximumBytes,
            piece.utf8.count < window.utf8.count || window.utf8.count == text.utf8.count
        else { return nil }
        let scalars = Array(piece.unicodeScalars)
        if scalars.allSatisfy({ $0.properties.isWhitespace }) { return whitespacePiece(window) ?? piece }
        let core = scalars.first == " " ? Array(scalars.dropFirst()) : scalars
        guard !core.isEmpty else { return nil }
        if core.allSatisfy(isLetter) || core.allSatisfy(isNumber) { return piece }
        return nil
    }

    /// The piece of trailing whitespace a fill would have taken in training. GPT-2's pre-tokenizer
    /// leaves a word's leading space to the word: `{\n    return` is `{`, `\n   `, ` return`. Cut at
    /// the hole, the run would be one pre-token, `\n    `, that training never saw before a word;
    /// healing it whole makes the chooser cover it with `\n   ` and the lone space that remains with
    /// a token of its own, so the fill starts after two spaces. So the text is split as if a word
    /// followed, and only what that word's pre-token (or the one ending at the hole) holds of the
    /// run moves: the context keeps `\n   `, the fill must start with ` `.
    static func whitespacePiece(_ window: String) -> String? {
        let parts = GPT2PreTokenizer.split(window + "a")
        let boundary = window.unicodeScalars.count
        var start = 0
        for part in parts {
            let count = part.unicodeScalars.count
            if start < boundary && start + count >= boundary {
                let piece = String(String.UnicodeScalarView(part.unicodeScalars.prefix(boundary - start)))
                return piece.isEmpty ? nil : piece
            }
            start += count
        }
        return nil
    }

    /// The first pre-token of `text` when it is letters or digits with no leading space.
    static func leadingWordPiece(_ text: String) -> String? {
        let window = String(text.prefix(maximumBytes + 1))
        guard let piece = GPT2PreTokenizer.split(window).first, piece.utf8.count <= maximumBytes,
            piece.utf8.count < window.utf8.count || window.utf8.count == text.utf8.count
        else { return nil }
        let scalars = Array(piece.unicodeScalars)
        guard !scalars.isEmpty, scalars.allSatisfy(isLetter) || scalars.allSatisfy(isNumber) else { return nil }
        return piece
    }

    static func endsInWordCharacter(_ text: String) -> Bool {
        guard let last = text.unicodeScalars.last else { return false }
        return isLetter(last) || isNumber(last)
    }

    /// GPT-2's `\p{L}` and `\p{N}`.
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Whether token bytes `b` can stand at the start of a fill that must begin with `required`:
    /// `b` covers it (`required` is a prefix of `b`) or is a proper non-empty prefix of it.
    static func consistentStart(_ b: [UInt8], _ required: ArraySlice<UInt8>) -> Bool {
        guard !b.isEmpty else { return false }
        return b.count >= required.count ? b.starts(with: required) : required.starts(with: b)
    }

    /// The mirror of `consistentStart` for the end of a fill.
    static func consistentEnd(_ b: [UInt8], _ required: ArraySlice<UInt8>) -> Bool {
        guard !b.isEmpty else { return false }
        return b.count >= required.count ? b.reversed().starts(with: required.reversed()) : required.reversed().starts(with: b.reversed())
    }
}
