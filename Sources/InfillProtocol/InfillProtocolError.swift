/// Everything that can be wrong with bytes or values that arrive from a client.
///
/// Every message names where the problem is (byte offset, field path), what was wrong, and what is
/// accepted, because the message is shown to the person who wrote the request.
public enum InfillProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The body is not JSON: `offset` is the byte offset in the message body.
    case invalidJSON(offset: Int, reason: String)
    /// The body (or a string inside it) is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// A framing problem: a bad header, a message above the size limit, a truncated message.
    case framing(String)
    /// A field has the wrong type or a value outside its range. `field` is a path such as
    /// `ranges[1].start.character`; `expected` says what is accepted.
    case invalidField(field: String, expected: String, got: String)
    /// A required field is absent.
    case missingField(field: String, expected: String)
    /// A JSON value that is not a JSON-RPC message; `id` is set when it could be recovered.
    case invalidMessage(id: RequestID?, reason: String)
    /// A position that does not exist in the document.
    case positionOutOfRange(field: String, detail: String)

    public var description: String {
        switch self {
        case .invalidJSON(let offset, let reason):
            return "invalid JSON at byte \(offset): \(reason)"
        case .invalidUTF8(let offset):
            return "invalid UTF-8 at byte \(offset): the body must be UTF-8 text"
        case .framing(let detail):
            return "framing error: \(detail)"
        case .invalidField(let field, let expected, let got):
            return "\(field): expected \(expected), got \(got)"
        case .missingField(let field, let expected):
            return "\(field): missing; expected \(expected)"
        case .invalidMessage(_, let reason):
            return "invalid request: \(reason)"
        case .positionOutOfRange(let field, let detail):
            return "\(field): \(detail)"
        }
    }
}
