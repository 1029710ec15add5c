/// The scheduler's one error enum: why a job could not be served. Backends throw the first four; the
/// scheduler itself adds `queueFull` and `shuttingDown` at submission. The server maps `cancelled` to
/// RequestCancelled, `internalFailure` to InternalError, and the rest to RequestFailed.
public enum InfillFailure: Error, Sendable, Equatable {
    case holeTooLarge(tokens: Int, context: Int)
    case workingSetTooLarge(bytes: Int, limit: Int)
    case cancelled
    case internalFailure(String)
    /// `--max-queue` jobs are already waiting.
    case queueFull(limit: Int)
    /// The scheduler is stopping and takes no new jobs.
    case shuttingDown
}

/// The engine, as the scheduler sees it. Called ONLY on the scheduler's worker thread.
public protocol InfillBackend: AnyObject {
    var info: BackendInfo { get }
    /// Estimated working-set bytes of a job (for `--max-memory`); cheap.
    func workingSetBytes(of job: InfillJob) -> Int
    /// Runs one job. `progress(step, steps, fills)` may be called between denoising steps, with
    /// `fills[candidate][hole]` rendering undecided positions as U+2591; `isCancelled()` is polled between
    /// steps and the backend throws `InfillFailure.cancelled` when it returns true.
    func run(_ job: InfillJob, progress: (Int, Int, [[String]]) -> Void, isCancelled: () -> Bool) throws
        -> InfillOutcome
}
