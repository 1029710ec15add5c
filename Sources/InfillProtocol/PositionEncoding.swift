/// The unit an LSP `Position.character` counts in.
public enum PositionEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case utf16 = "utf-16"
    case utf32 = "utf-32"

    /// Picks the encoding for a client's `general.positionEncodings` list: the first one the client
    /// lists that we support (the client orders by preference), utf-16 when it lists none we know.
    public static func negotiate(clientOffers offers: [String]) -> PositionEncoding {
        for offer in offers {
            if let encoding = PositionEncoding(rawValue: offer.lowercased()) { return encoding }
        }
        return .utf16
    }

    /// Code units of this encoding in the UTF-8 scalar whose lead byte is `lead`.
    @inline(__always)
    func units(ofScalarWithLead lead: UInt8) -> Int {
        let bytes = UTF8Validation.lengthOfValidScalar(lead: lead)
        switch self {
        case .utf8: return bytes
        case .utf16: return bytes == 4 ? 2 : 1
        case .utf32: return 1
        }
    }
}

/// Line starts of a UTF-8 text, for converting between LSP positions and byte offsets.
///
/// Line terminators are `\n`, `\r\n` and `\r`, as LSP defines them. A `character` past the end of a
/// line means the end of that line (LSP 3.17); a `character` inside a multi-unit character (the middle
/// of a surrogate pair, the middle of a UTF-8 sequence) snaps to that character's start, so that a hole
/// never splits a character. A line past the last one is an error.
public struct LineTable: Sendable {
    /// Byte offset where each line starts; always at least one entry (0).
    public let lineStarts: [Int]
    /// Total byte count of the text.
    public let byteCount: Int

    /// Indexes `bytes`, which must be valid UTF-8.
    public init(_ bytes: [UInt8]) {
        var starts = [0]
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A {
                starts.append(index + 1)
            } else if byte == 0x0D {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
                starts.append(index + 1)
            }
            index += 1
        }
        lineStarts = starts
        byteCount = bytes.count
    }

    public var lineCount: Int { lineStarts.count }

    /// Byte offset where the content of `line` ends (before its terminator).
    public func contentEnd(ofLine line: Int, in bytes: [UInt8]) -> Int {
        var end = line + 1 < lineStarts.count ? lineStarts[line + 1] : byteCount
        if end > lineStarts[line], bytes[end - 1] == 0x0A { end -= 1 }
        if end > lineStarts[line], bytes[end - 1] == 0x0D { end -= 1 }
        return end
    }

    /// The byte offset of `position` in `bytes` (the text this table was built from).
    /// - Parameter field: the request field the position came from, named in the error.
    public func byteOffset(of position: Position, in bytes: [UInt8], encoding: PositionEncoding, field: String)
        throws(InfillProtocolError) -> Int
    {
        guard position.line < lineStarts.count else {
            throw .positionOutOfRange(
                field: field,
                detail: "line \(position.line) is past the end of the document, which has \(lineStarts.count) "
                    + "lines (0...\(lineStarts.count - 1))")
        }
        let end = contentEnd(ofLine: position.line, in: bytes)
        var offset = lineStarts[position.line]
        var units = 0
        while offset < end {
            let width = encoding.units(ofScalarWithLead: bytes[offset])
            if units + width > position.character { break }
            units += width
            offset += UTF8Validation.lengthOfValidScalar(lead: bytes[offset])
        }
        return offset
    }

    /// The position of a byte offset (which must be at a scalar boundary) in `encoding`.
    public func position(ofByteOffset target: Int, in bytes: [UInt8], encoding: PositionEncoding) -> Position {
        precondition(target >= 0 && target <= byteCount, "byte offset outside the text")
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= target { low = middle } else { high = middle - 1 }
        }
        let line = low
        let end = min(target, contentEnd(ofLine: line, in: bytes))
        var offset = lineStarts[line]
        var units = 0
        while offset < end {
            units += encoding.units(ofScalarWithLead: bytes[offset])
            offset += UTF8Validation.lengthOfValidScalar(lead: bytes[offset])
        }
        return Position(line: line, character: units)
    }
}
