import Foundation
import InfillScheduler

/// A small deterministic backend for unit tests of the server logic only: no model, no randomness. The
/// lead's end-to-end tests run the real engine.
///
/// Candidate c fills hole h with `"<h\(h)c\(c)>"` followed by `"\nrest"` (so `stop: "line"` has something to
/// trim); scores are -0.5, -1.5, ... so candidate 0 is best. Context tokens are the segments' byte counts.
/// It records every job, and can hold jobs until released (polling cancellation) for cancel tests.
final class EchoBackend: InfillBackend {
    let info: BackendInfo
    private let lock = NSLock()
    private var recorded: [InfillJob] = []
    private var holding = false
    let started = DispatchSemaphore(value: 0)

    init(contextLength: Int = 1024) {
        info = BackendInfo(
            modelName: "echo-test", vocabularySize: 256, contextLength: contextLength,
            parameterCount: 42)
    }

    var jobs: [InfillJob] { lock.withLock { recorded } }

    func hold() { lock.withLock { holding = true } }
    func release() { lock.withLock { holding = false } }

    func workingSetBytes(of job: InfillJob) -> Int { job.candidates * 1000 }

    static func fill(hole: Int, candidate: Int) -> String { "<h\(hole)c\(candidate)>\nrest" }

    func run(_ job: InfillJob, progress: (Int, Int, [[String]]) -> Void, isCancelled: () -> Bool) throws
        -> InfillOutcome
    {
        lock.withLock { recorded.append(job) }
        started.signal()
        while lock.withLock({ holding }) {
            if isCancelled() { throw InfillFailure.cancelled }
            Thread.sleep(forTimeInterval: 0.002)
        }
        for step in 1...job.steps {
            if isCancelled() { throw InfillFailure.cancelled }
            let decided = step == job.steps
            progress(
                step, job.steps,
                (0..<job.candidates).map { candidate in
                    job.holeLengths.indices.map { hole in
                        decided
                            ? EchoBackend.fill(hole: hole, candidate: candidate)
                            : String(repeating: "\u{2591}", count: 3)
                    }
                })
        }
        let candidates = (0..<job.candidates).map { candidate in
            InfillCandidate(
                fills: job.holeLengths.indices.map { EchoBackend.fill(hole: $0, candidate: candidate) },
                score: -0.5 - Double(candidate))
        }
        return InfillOutcome(
            candidates: candidates, steps: job.steps, sampler: job.sampler,
            context: ContextReport(
                prefixTokens: job.segments.first!.utf8.count,
                suffixTokens: job.segments.last!.utf8.count, prefixTruncated: false, suffixTruncated: false),
            computeMs: 1, breakdown: ComputeBreakdown(stagesMs: [("layout", 0.25), ("sampling", 0.75)], forwardPasses: job.steps + 1))
    }
}
