import Foundation

@testable import InfillScheduler

/// A deterministic backend for scheduler unit tests (not a model): it records jobs, can hold a job until
/// released, sleeps a millisecond per step so compute time is measurable, and returns fixed fills.
final class ScriptedBackend: InfillBackend {
    let info = BackendInfo(modelName: "scripted", vocabularySize: 256, contextLength: 1024, parameterCount: 0)
    private let lock = NSLock()
    private var recorded: [InfillJob] = []
    private var holding = false
    let started = DispatchSemaphore(value: 0)
    var workingSet = 0
    var failure: Error?

    var jobs: [InfillJob] { lock.withLock { recorded } }

    /// Jobs wait in `run` until `release()` (polling cancellation meanwhile).
    func hold() { lock.withLock { holding = true } }
    func release() { lock.withLock { holding = false } }

    func workingSetBytes(of job: InfillJob) -> Int { workingSet }

    func run(_ job: InfillJob, progress: (Int, Int, [[String]]) -> Void, isCancelled: () -> Bool) throws
        -> InfillOutcome
    {
        lock.withLock { recorded.append(job) }
        started.signal()
        while lock.withLock({ holding }) {
            if isCancelled() { throw InfillFailure.cancelled }
            Thread.sleep(forTimeInterval: 0.002)
        }
        if let failure { throw failure }
        for step in 1...job.steps {
            if isCancelled() { throw InfillFailure.cancelled }
            Thread.sleep(forTimeInterval: 0.001)
            progress(step, job.steps, [job.holeLengths.map { String(repeating: "\u{2591}", count: $0) }])
        }
        let candidates = (0..<job.candidates).map { candidate in
            InfillCandidate(fills: job.holeLengths.indices.map { "fill\($0)" }, score: -Double(candidate))
        }
        return InfillOutcome(
            candidates: candidates, steps: job.steps, sampler: job.sampler,
            context: ContextReport(prefixTokens: 0, suffixTokens: 0, prefixTruncated: false, suffixTruncated: false),
            computeMs: 0)
    }
}
