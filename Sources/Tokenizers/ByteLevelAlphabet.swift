/// GPT-2's `bytes_to_unicode`: a reversible map from the 256 byte values to printable Unicode scalars.
///
/// Byte-level BPE vocabularies store tokens as strings over this alphabet so that no token holds
/// whitespace or control characters: printable Latin-1 bytes map to themselves, the other 68 bytes
/// to U+0100...U+0143 in byte order (space, 0x20, becomes "Ġ", newline "Ċ").
public enum ByteLevelAlphabet {
    /// `scalarForByte[b]` is the scalar that stands for byte `b` in vocabulary strings.
    public static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The order in which `bytes_to_unicode` lists bytes: printable ones first, then the rest.
    ///
    /// GPT-2's `encoder.json` gives the 256 byte tokens ids in exactly this order ("!" = 0), and the
    /// trainer does the same.
    public static let byteOrder: [UInt8] =
        (0...255).map { UInt8($0) }.filter(isPrintable) + (0...255).map { UInt8($0) }.filter { !isPrintable($0) }

    /// The byte a vocabulary scalar stands for, or nil if the scalar is outside the alphabet.
    @inline(__always)
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 { return isPrintable(UInt8(value)) ? UInt8(value) : nil }
        guard value < 256 + 68 else { return nil }
        return nonPrintableBytes[Int(value - 256)]
    }

    /// The vocabulary string for a byte sequence.
    public static func string(for bytes: some Sequence<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(scalarForByte[Int(byte)]) }
        return String(scalars)
    }

    /// The bytes of a vocabulary string, or nil if some scalar is outside the alphabet.
    public static func bytes(for token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private static let nonPrintableBytes: [UInt8] = (0...255).map { UInt8($0) }.filter { !isPrintable($0) }

    /// `!`...`~`, `¡`...`¬`, `®`...`ÿ`: the ranges `bytes_to_unicode` keeps as themselves.
    @inline(__always)
    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }
}
