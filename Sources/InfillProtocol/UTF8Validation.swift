/// UTF-8 well-formedness checks (Unicode 15, table 3-7): no overlong forms, no surrogates, nothing
/// above U+10FFFF.
public enum UTF8Validation {
    /// The length of the well-formed scalar starting at `index`, or an error naming the offset.
    public static func scalarLength(in bytes: [UInt8], at index: Int) throws(InfillProtocolError) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: throw .invalidUTF8(offset: index)
        }
        guard index + length <= bytes.count else { throw .invalidUTF8(offset: index) }
        guard secondRange.contains(bytes[index + 1]) else { throw .invalidUTF8(offset: index) }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
            throw .invalidUTF8(offset: index)
        }
        return length
    }

    /// True when all of `bytes` is well-formed UTF-8.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            if bytes[index] < 0x80 {
                index += 1
                continue
            }
            guard let length = try? scalarLength(in: bytes, at: index) else { return false }
            index += length
        }
        return true
    }

    /// Length of the scalar whose lead byte is `lead`, for text already known to be valid.
    @inline(__always)
    public static func lengthOfValidScalar(lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    /// True for UTF-8 continuation bytes (10xxxxxx), which never start a scalar.
    @inline(__always)
    public static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
}
