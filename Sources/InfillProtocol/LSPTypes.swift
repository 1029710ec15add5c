/// The LSP structures the daemon reads and writes. Positions are in the connection's negotiated
/// position encoding; conversion to byte offsets happens in `LineTable`.

/// A zero-based line and a zero-based `character` offset in the negotiated encoding.
public struct Position: Equatable, Hashable, Sendable {
    public var line: Int
    public var character: Int

    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    /// Largest line or character accepted on the wire (LSP uses uinteger, 2^31 - 1).
    public static let maximumComponent = Int(Int32.max)

    public init(json: JSONValue?, path: String) throws(InfillProtocolError) {
        let reader = try JSONFieldReader(json, path: path)
        line = try reader.int("line", in: 0...Position.maximumComponent)
        character = try reader.int("character", in: 0...Position.maximumComponent)
    }

    public var json: JSONValue { ["line": .int(line), "character": .int(character)] }
}

/// A half-open range `[start, end)` between two positions.
public struct Range: Equatable, Hashable, Sendable {
    public var start: Position
    public var end: Position

    public init(start: Position, end: Position) {
        self.start = start
        self.end = end
    }

    public init(json: JSONValue?, path: String) throws(InfillProtocolError) {
        let reader = try JSONFieldReader(json, path: path)
        start = try Position(json: reader.members["start"], path: reader.fieldPath("start"))
        end = try Position(json: reader.members["end"], path: reader.fieldPath("end"))
        if (end.line, end.character) < (start.line, start.character) {
            throw .invalidField(
                field: path, expected: "a range whose end is not before its start",
                got: "start \(start.line):\(start.character), end \(end.line):\(end.character)")
        }
    }

    public var json: JSONValue { ["start": start.json, "end": end.json] }
}

/// A replacement of a range by new text.
public struct TextEdit: Equatable, Sendable {
    public var range: Range
    public var newText: String

    public init(range: Range, newText: String) {
        self.range = range
        self.newText = newText
    }

    public var json: JSONValue { ["range": range.json, "newText": .string(newText)] }
}

/// One entry of `didChange.contentChanges`: a whole-document replacement when `range` is nil.
public struct TextDocumentContentChangeEvent: Equatable, Sendable {
    public var range: Range?
    public var text: String

    public init(range: Range?, text: String) {
        self.range = range
        self.text = text
    }

    public init(json: JSONValue, path: String) throws(InfillProtocolError) {
        let reader = try JSONFieldReader(json, path: path)
        text = try reader.string("text")
        range = reader.has("range") ? try Range(json: reader.members["range"], path: reader.fieldPath("range")) : nil
    }
}
