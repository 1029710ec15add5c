import Foundation
import InfillProtocol
import InfillScheduler

/// The one place where errors become JSON-RPC error codes and messages.
enum ErrorMapping {
    static func responseError(for error: Error) -> ResponseError {
        switch error {
        case let error as InfillProtocolError: return protocolError(error)
        case let error as InfillServerError: return serverError(error)
        case let failure as InfillFailure: return schedulerFailure(failure)
        default: return ResponseError(code: .internalError, message: "internal error: unexpected \(error)")
        }
    }

    private static func protocolError(_ error: InfillProtocolError) -> ResponseError {
        switch error {
        case .invalidJSON, .invalidUTF8, .framing:
            return ResponseError(code: .parseError, message: error.description)
        case .invalidMessage:
            return ResponseError(code: .invalidRequest, message: error.description)
        case .invalidField, .missingField, .positionOutOfRange:
            return ResponseError(code: .invalidParams, message: error.description)
        }
    }

    private static func serverError(_ error: InfillServerError) -> ResponseError {
        switch error {
        case .notInitialized(let method):
            return ResponseError(
                code: .serverNotInitialized,
                message: "\(method): the server is not initialized; send initialize first")
        case .methodNotFound(let method):
            return ResponseError(code: .methodNotFound, message: "unknown method \(method)")
        case .invalidRequest(let reason):
            return ResponseError(code: .invalidRequest, message: reason)
        case .protocolViolation(let violation):
            return protocolError(violation)
        case .invalidParams(let field, let expected, let got):
            return ResponseError(code: .invalidParams, message: "\(field): expected \(expected), got \(got)")
        case .documentNotOpen(let uri):
            return ResponseError(
                code: .requestFailed,
                message: "textDocument.uri: \(uri) is not open on this connection; send textDocument/didOpen first")
        case .holesExceedContext(let tokens, let context):
            return ResponseError(
                code: .requestFailed,
                message:
                    "a hole needs \(tokens) tokens but the model's context holds \(context); ask for a smaller length"
            )
        case .authenticationRequired(let method):
            return ResponseError(
                code: .invalidRequest,
                message: "\(method): this connection must first call sedd/authenticate; closing it")
        case .authenticationFailed:
            return ResponseError(code: .requestFailed, message: "sedd/authenticate: the token does not match; closing")
        case .cancelled(let reason):
            return ResponseError(code: .requestCancelled, message: cancelMessage(reason))
        case .scheduler(let failure):
            return schedulerFailure(failure)
        case .internalFailure(let detail):
            return ResponseError(code: .internalError, message: "internal error: \(detail)")
        }
    }

    private static func schedulerFailure(_ failure: InfillFailure) -> ResponseError {
        switch failure {
        case .holeTooLarge(let tokens, let context):
            return serverError(.holesExceedContext(tokens: tokens, context: context))
        case .workingSetTooLarge(let bytes, let limit):
            return ResponseError(
                code: .requestFailed,
                message: "the request needs an estimated \(mebibytes(bytes)) MiB, above --max-memory "
                    + "\(mebibytes(limit)) MiB; ask for fewer candidates (n) or a smaller length")
        case .cancelled:
            return ResponseError(code: .requestCancelled, message: cancelMessage(.requested))
        case .internalFailure(let detail):
            return ResponseError(code: .internalError, message: "internal error: \(detail)")
        case .queueFull(let limit):
            return ResponseError(
                code: .requestFailed,
                message: "the queue is full (--max-queue \(limit) requests waiting); retry later")
        case .shuttingDown:
            return ResponseError(code: .requestFailed, message: "the daemon is shutting down")
        }
    }

    private static func cancelMessage(_ reason: CancelReason) -> String {
        switch reason {
        case .requested: return "request cancelled ($/cancelRequest)"
        case .superseded: return "request superseded by a newer one for the same document"
        case .connectionClosed: return "request cancelled: the client went away"
        case .shuttingDown: return "request cancelled: the daemon is shutting down"
        }
    }

    private static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.1f", Double(bytes) / 1_048_576)
    }
}
