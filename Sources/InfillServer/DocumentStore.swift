import InfillProtocol

/// One open document: its UTF-8 bytes and line table, as the client last described it.
struct OpenDocument {
    let uri: String
    var languageID: String?
    var version: Int?
    private(set) var bytes: [UInt8]
    private(set) var lines: LineTable

    init(uri: String, languageID: String?, version: Int?, text: String) {
        self.uri = uri
        self.languageID = languageID
        self.version = version
        bytes = Array(text.utf8)
        lines = LineTable(bytes)
    }

    /// Applies one content change: a whole replacement, or a range replacement in `encoding`.
    mutating func apply(_ change: TextDocumentContentChangeEvent, encoding: PositionEncoding, field: String)
        throws(InfillProtocolError)
    {
        guard let range = change.range else {
            bytes = Array(change.text.utf8)
            lines = LineTable(bytes)
            return
        }
        let start = try lines.byteOffset(of: range.start, in: bytes, encoding: encoding, field: "\(field).range.start")
        let end = try lines.byteOffset(of: range.end, in: bytes, encoding: encoding, field: "\(field).range.end")
        bytes.replaceSubrange(start..<max(start, end), with: Array(change.text.utf8))
        lines = LineTable(bytes)
    }
}

/// The documents a connection has opened (`didOpen`, `didChange`, `didClose`). Per connection: two
/// editors on two sockets never see each other's buffers.
struct DocumentStore {
    private(set) var documents: [String: OpenDocument] = [:]

    subscript(uri: String) -> OpenDocument? { documents[uri] }

    var count: Int { documents.count }

    /// `textDocument/didOpen`: a re-open replaces the text (clients must close first, but a stale copy
    /// is worse than a lenient reading).
    mutating func open(params: JSONValue?) throws(InfillProtocolError) {
        let item = try JSONFieldReader(params, path: "").object("textDocument")
        let uri = try item.string("uri")
        let text = try item.string("text")
        let languageID = try item.optionalString("languageId")
        let version = try item.optionalInt("version", in: Int(Int32.min)...Int(Int32.max))
        documents[uri] = OpenDocument(uri: uri, languageID: languageID, version: version, text: text)
    }

    /// `textDocument/didChange`: changes apply in order, each to the result of the previous one. All or
    /// nothing: when one change is invalid the document keeps its previous text.
    mutating func change(params: JSONValue?, encoding: PositionEncoding) throws(InfillProtocolError) {
        let reader = try JSONFieldReader(params, path: "")
        let identifier = try reader.object("textDocument")
        let uri = try identifier.string("uri")
        let version = try identifier.optionalInt("version", in: Int(Int32.min)...Int(Int32.max))
        guard var document = documents[uri] else {
            throw .invalidField(
                field: "textDocument.uri", expected: "a document opened on this connection",
                got: "a document that is not open")
        }
        guard let changes = try reader.optionalArray("contentChanges", count: 0...100_000) else {
            throw .missingField(field: "contentChanges", expected: "an array of changes")
        }
        for (index, change) in changes.enumerated() {
            let event = try TextDocumentContentChangeEvent(json: change, path: "contentChanges[\(index)]")
            try document.apply(event, encoding: encoding, field: "contentChanges[\(index)]")
        }
        document.version = version ?? document.version
        documents[uri] = document
    }

    /// `textDocument/didClose`.
    mutating func close(params: JSONValue?) throws(InfillProtocolError) {
        let uri = try JSONFieldReader(params, path: "").object("textDocument").string("uri")
        documents[uri] = nil
    }
}
