import InfillProtocol
import InfillScheduler

/// The server's one error enum: why a request is refused. `ErrorMapping` turns it (and the protocol
/// and scheduler errors) into JSON-RPC error codes.
enum InfillServerError: Error, Equatable {
    /// An LSP request before `initialize`.
    case notInitialized(method: String)
    case methodNotFound(method: String)
    /// Not a valid request in this state (after `shutdown`, a second `initialize`, a duplicate id...).
    case invalidRequest(String)
    case invalidParams(field: String, expected: String, got: String)
    /// A field, JSON or framing problem found by the protocol layer.
    case protocolViolation(InfillProtocolError)
    /// `textDocument.uri` names a document this connection has not opened.
    case documentNotOpen(uri: String)
    /// A hole needs more tokens than the model's context holds (holes too far apart for one window
    /// are filled in groups, so only a single hole can be too large).
    case holesExceedContext(tokens: Int, context: Int)
    case authenticationRequired(method: String)
    case authenticationFailed
    case cancelled(CancelReason)
    /// The scheduler or the engine refused or failed the job.
    case scheduler(InfillFailure)
    case internalFailure(String)
}
