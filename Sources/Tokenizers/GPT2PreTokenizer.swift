/// GPT-2's pre-tokenizer, a hand-written scanner equivalent to the regular expression
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// as run by Python's `regex` module (and by tiktoken) over Unicode scalars, not grapheme clusters:
/// "\r\n" is two scalars, "e" + U+0301 splits between the letter and the mark. `\s` is the Unicode
/// White_Space property, `\p{L}` / `\p{N}` the letter / number general categories; Swift's
/// `Unicode.Scalar.Properties` give the same sets as `regex` 2026.5 for every scalar (checked over all
/// 1,112,064 scalars when this was written).
///
/// A scanner instead of `Regex` because it is an order of magnitude faster and has no dialect doubt.
public enum GPT2PreTokenizer {
    /// The pieces GPT-2 would run BPE on, in order; concatenated they give back `text`.
    public static func split(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { utf8 in
            var scanner = PreTokenScanner(utf8)
            var pieces: [String] = []
            while let range = scanner.next() {
                pieces.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[range]), as: UTF8.self))
            }
            return pieces
        }
    }
}

/// The regex classes a scalar can fall into; every scalar is in exactly one.
@usableFromInline
enum ScalarClass: UInt8 {
    case letter, number, whitespace, other

    /// Classes of the 128 ASCII scalars, so the common case costs one table read. Allocated once and
    /// never freed, so scanners can hold the pointer without retaining an array; never written after
    /// initialisation, hence safe to share.
    @usableFromInline
    nonisolated(unsafe) static let ascii: UnsafeBufferPointer<ScalarClass> = {
        let table = UnsafeMutableBufferPointer<ScalarClass>.allocate(capacity: 128)
        for value in 0..<128 { table[value] = classify(Unicode.Scalar(UInt8(value))) }
        return UnsafeBufferPointer(table)
    }()

    @usableFromInline
    static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}

/// Walks UTF-8 bytes and yields the byte ranges of GPT-2 pre-tokens, in order, covering the input.
///
/// The input must be valid UTF-8 (it comes from a `String`); a stray invalid byte would be treated as
/// one "other" scalar rather than trapping.
@usableFromInline
struct PreTokenScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let asciiClasses: UnsafeBufferPointer<ScalarClass>
    var position: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.position = 0
        self.asciiClasses = ScalarClass.ascii
    }

    /// The class and UTF-8 length of the scalar starting at `index`.
    @inline(__always)
    func scalar(at index: Int) -> (ScalarClass, Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (asciiClasses[Int(lead)], 1) }
        var value: UInt32
        var length: Int
        if lead & 0xE0 == 0xC0 {
            value = UInt32(lead & 0x1F)
            length = 2
        } else if lead & 0xF0 == 0xE0 {
            value = UInt32(lead & 0x0F)
            length = 3
        } else if lead & 0xF8 == 0xF0 {
            value = UInt32(lead & 0x07)
            length = 4
        } else {
            return (.other, 1)
        }
        guard index + length <= bytes.count else { return (.other, 1) }
        for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
        guard let scalar = Unicode.Scalar(value) else { return (.other, 1) }
        return (ScalarClass.classify(scalar), length)
    }

    /// Length of a contraction (`'s 't 're 've 'm 'll 'd`, lowercase only) starting at `index`, or 0.
    @inline(__always)
    func contractionLength(at index: Int) -> Int {
        guard index + 1 < bytes.count else { return 0 }
        switch bytes[index + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return index + 2 < bytes.count && bytes[index + 2] == UInt8(ascii: "e") ? 3 : 0
        case UInt8(ascii: "l"):
            return index + 2 < bytes.count && bytes[index + 2] == UInt8(ascii: "l") ? 3 : 0
        default:
            return 0
        }
    }

    /// The next pre-token, trying the regex's alternatives in their order.
    @inline(__always)
    mutating func next() -> Range<Int>? {
        let start = position
        let end = bytes.count
        guard start < end else { return nil }

        // 's|'t|'re|'ve|'m|'ll|'d
        if bytes[start] == UInt8(ascii: "'") {
            let length = contractionLength(at: start)
            if length > 0 {
                position = start + length
                return start..<position
            }
        }

        // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: an optional U+0020, then a run of one class.
        var (runClass, length) = scalar(at: start)
        var runStart = start
        if bytes[start] == 0x20 && start + 1 < end {
            let (nextClass, nextLength) = scalar(at: start + 1)
            if nextClass != .whitespace {
                runClass = nextClass
                runStart = start + 1
                length = nextLength
            }
        }
        if runClass != .whitespace {
            var index = runStart + length
            while index < end {
                let (scalarClass, scalarLength) = scalar(at: index)
                if scalarClass != runClass { break }
                index += scalarLength
            }
            position = index
            return start..<index
        }

        // `\s+(?!\S)|\s+`: a whitespace run, less its last scalar when a non-space follows it (that scalar
        // then starts the next pre-token), unless the run is a single scalar.
        var index = start + length
        var lastScalarStart = start
        while index < end {
            let (scalarClass, scalarLength) = scalar(at: index)
            if scalarClass != .whitespace { break }
            lastScalarStart = index
            index += scalarLength
        }
        position = (index == end || lastScalarStart == start) ? index : lastScalarStart
        return start..<position
    }
}
