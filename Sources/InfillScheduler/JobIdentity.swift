/// Who a job belongs to and how it ends, as the scheduler reports it.

/// The request a job answers: a connection and the request's id (as an opaque key).
public struct JobOwner: Hashable, Sendable {
    public var connection: Int
    public var request: String

    public init(connection: Int, request: String) {
        self.connection = connection
        self.request = request
    }
}

/// Jobs with the same key supersede each other: a newer one cancels the older queued or running ones.
/// The server uses (connection, document uri) for inline completions.
public struct SupersedeKey: Hashable, Sendable {
    public var connection: Int
    public var document: String

    public init(connection: Int, document: String) {
        self.connection = connection
        self.document = document
    }
}

/// Why a job was cancelled (all are answered with RequestCancelled, the message differs).
public enum CancelReason: String, Sendable {
    /// `$/cancelRequest`.
    case requested
    /// A newer job with the same supersede key arrived.
    case superseded
    /// The client went away.
    case connectionClosed
    /// The daemon is shutting down (SIGINT, SIGTERM).
    case shuttingDown
}

/// Where a job's time went.
public struct JobTiming: Sendable, Equatable {
    /// From submission to the worker picking it up.
    public var queuedMs: Double
    /// Running on the worker.
    public var computeMs: Double

    public init(queuedMs: Double, computeMs: Double) {
        self.queuedMs = queuedMs
        self.computeMs = computeMs
    }
}

/// How a job ended; delivered exactly once per submitted job, on the delivery thread.
public enum JobResult: Sendable {
    case completed(InfillOutcome, JobTiming)
    case failed(InfillFailure, JobTiming)
    case cancelled(CancelReason)
}
