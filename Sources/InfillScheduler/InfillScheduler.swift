import Dispatch
import Foundation

/// Limits of the scheduler.
public struct SchedulerConfiguration: Sendable {
    /// Most jobs waiting at once (`--max-queue`); the running job does not count.
    public var maxQueue: Int
    /// Largest estimated working set of a job (`--max-memory`), nil for no limit.
    public var maxMemoryBytes: Int?
    /// Latencies kept per step count for the percentiles of `sedd/status`.
    public var latencyWindow: Int

    public init(maxQueue: Int = 16, maxMemoryBytes: Int? = nil, latencyWindow: Int = 256) {
        precondition(maxQueue >= 1, "maxQueue must admit at least one waiting job")
        self.maxQueue = maxQueue
        self.maxMemoryBytes = maxMemoryBytes
        self.latencyWindow = latencyWindow
    }
}

/// A FIFO queue of infill jobs and the one worker thread that runs them on the backend.
///
/// The loop thread submits and cancels; the worker thread is the only caller of the backend. Results,
/// cancellations and previews travel back through `deliver` (the loop's mailbox `post`), so every
/// callback runs on the loop thread, and each submitted job gets exactly one completion. The worker is
/// a plain `Thread` that sleeps on a condition variable while the queue is empty: no CPU when idle.
public final class InfillScheduler: @unchecked Sendable {
    private let backend: InfillBackend
    private let configuration: SchedulerConfiguration
    private let deliver: (@escaping () -> Void) -> Void
    /// Guards everything below.
    private let condition = NSCondition()
    private var queue: [JobEntry] = []
    private var running: JobEntry?
    private var nextID: UInt64 = 1
    private var stopping = false
    private var started = false
    private var served = 0
    private var cancelled = 0
    private var failed = 0
    private var rejected = 0
    private var perStepMs: Double?
    private var latency: LatencyRecorder
    private let workerExited = DispatchSemaphore(value: 0)

    /// - Parameter deliver: runs a closure on the thread that owns the callbacks (the loop's mailbox).
    public init(
        backend: InfillBackend, configuration: SchedulerConfiguration = SchedulerConfiguration(),
        deliver: @escaping (@escaping () -> Void) -> Void
    ) {
        self.backend = backend
        self.configuration = configuration
        self.deliver = deliver
        latency = LatencyRecorder(window: configuration.latencyWindow)
    }

    /// Starts the worker thread. Jobs submitted before wait in the queue.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in workerMain() }
        thread.name = "sedd-infill-worker"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues a job. Throws `queueFull` or `shuttingDown` synchronously (no completion then); otherwise
    /// `completion` is delivered exactly once. Jobs with the same `supersedeKey` are cancelled first.
    /// - Parameter preview: called (delivered) between steps when `job.wantsPreview`.
    /// - Returns: the job's id (for logs and tests).
    @discardableResult
    public func submit(
        _ job: InfillJob, owner: JobOwner, supersedeKey: SupersedeKey? = nil,
        preview: ((Int, Int, [[String]]) -> Void)? = nil,
        completion: @escaping (JobResult) -> Void
    ) throws(InfillFailure) -> UInt64 {
        condition.lock()
        if stopping {
            rejected += 1
            condition.unlock()
            throw .shuttingDown
        }
        let admission = QueueRules.admit(
            supersedeKey: supersedeKey, queued: queue.map(\.summary),
            running: running?.summary, maxQueue: configuration.maxQueue)
        let removed = apply(admission.superseded, reason: .superseded)
        guard admission.accepted else {
            rejected += 1
            condition.unlock()
            deliverCancellations(removed)
            throw .queueFull(limit: configuration.maxQueue)
        }
        let entry = JobEntry(
            id: nextID, job: job, owner: owner, supersedeKey: supersedeKey,
            submittedAt: Clock.nowNanoseconds(), preview: preview, completion: completion)
        nextID += 1
        queue.append(entry)
        condition.signal()
        condition.unlock()
        deliverCancellations(removed)
        return entry.id
    }

    /// Cancels the job of `owner` (queued: removed; running: asked to stop between steps).
    /// - Returns: false when no such job is queued or running (already answered, or unknown).
    @discardableResult
    public func cancel(_ owner: JobOwner, reason: CancelReason = .requested) -> Bool {
        condition.lock()
        let decision = QueueRules.cancellation(of: owner, queued: queue.map(\.summary), running: running?.summary)
        let removed = apply(decision, reason: reason)
        condition.unlock()
        deliverCancellations(removed)
        return !decision.isEmpty
    }

    /// Cancels every job of a connection (the client went away).
    public func cancelAll(connection: Int, reason: CancelReason = .connectionClosed) {
        condition.lock()
        let decision = QueueRules.cancellation(
            ofConnection: connection, queued: queue.map(\.summary),
            running: running?.summary)
        let removed = apply(decision, reason: reason)
        condition.unlock()
        deliverCancellations(removed)
    }

    /// Stops taking jobs, cancels all queued and running ones (delivered as `shuttingDown`), and waits for
    /// the worker thread to finish its current step and exit. A second call returns at once.
    public func stop() {
        condition.lock()
        if stopping {
            condition.unlock()
            return
        }
        stopping = true
        let everything = QueueRules.Cancellation(queued: queue.map(\.id), running: running != nil)
        let removed = apply(everything, reason: .shuttingDown)
        let wasStarted = started
        condition.broadcast()
        condition.unlock()
        deliverCancellations(removed)
        if wasStarted { workerExited.wait() }
    }

    /// A consistent snapshot of counts, queue depth and latencies.
    /// True when a new job would be refused for a full queue. The server holds back a stdio client's
    /// next messages while this is true, so a piped file of requests loses none of them.
    public var isQueueFull: Bool {
        condition.lock()
        defer { condition.unlock() }
        return queue.count >= configuration.maxQueue
    }

    public func statistics() -> SchedulerStatistics {
        condition.lock()
        defer { condition.unlock() }
        return SchedulerStatistics(
            queueDepth: queue.count, isRunning: running != nil, served: served,
            cancelled: cancelled, failed: failed, rejected: rejected, perStepMs: perStepMs,
            latency: latency.summaries())
    }

    // MARK: - Under the lock

    /// Removes the decided queued jobs and flags the running one; returns the removed entries.
    private func apply(_ decision: QueueRules.Cancellation, reason: CancelReason) -> [(JobEntry, CancelReason)] {
        var removed: [(JobEntry, CancelReason)] = []
        if !decision.queued.isEmpty {
            let ids = Set(decision.queued)
            removed = queue.filter { ids.contains($0.id) }.map { ($0, reason) }
            queue.removeAll { ids.contains($0.id) }
            cancelled += removed.count
        }
        if decision.running, let running, running.cancelReason == nil {
            running.cancelReason = reason
        }
        return removed
    }

    private func deliverCancellations(_ removed: [(JobEntry, CancelReason)]) {
        for (entry, reason) in removed {
            deliver { entry.completion(.cancelled(reason)) }
        }
    }

    // MARK: - Worker thread

    private func workerMain() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                break
            }
            let entry = queue.removeFirst()
            running = entry
            let estimate = perStepMs
            condition.unlock()
            execute(entry, perStepEstimate: estimate)
        }
        workerExited.signal()
    }

    private func execute(_ entry: JobEntry, perStepEstimate: Double?) {
        let startedAt = Clock.nowNanoseconds()
        let queuedMs = Clock.milliseconds(from: entry.submittedAt, to: startedAt)
        var job = entry.job
        job.steps = QueueRules.steps(
            requested: job.steps, deadlineMs: job.deadlineMs,
            perStepMs: perStepEstimate.map { $0 * Double(job.candidates) })
        var result = runOnBackend(job, entry: entry, queuedMs: queuedMs, startedAt: startedAt)

        condition.lock()
        running = nil
        if let reason = entry.cancelReason {
            // Asked to stop: the answer is RequestCancelled even if the backend finished anyway.
            result = .cancelled(reason)
        }
        switch result {
        case .completed(let outcome, let timing):
            served += 1
            let sample = timing.computeMs / Double(max(1, outcome.steps) * max(1, job.candidates))
            perStepMs = QueueRules.updatedEstimate(previous: perStepMs, sample: sample)
            latency.record(
                steps: outcome.steps, totalMs: timing.queuedMs + timing.computeMs,
                computeMs: timing.computeMs)
        case .failed: failed += 1
        case .cancelled: cancelled += 1
        }
        condition.unlock()
        let finished = result
        deliver { entry.completion(finished) }
    }

    private func runOnBackend(_ job: InfillJob, entry: JobEntry, queuedMs: Double, startedAt: UInt64) -> JobResult {
        func timing() -> JobTiming {
            JobTiming(queuedMs: queuedMs, computeMs: Clock.milliseconds(from: startedAt, to: Clock.nowNanoseconds()))
        }
        if let limit = configuration.maxMemoryBytes {
            let bytes = backend.workingSetBytes(of: job)
            if bytes > limit { return .failed(.workingSetTooLarge(bytes: bytes, limit: limit), timing()) }
        }
        let isCancelled = { [self] () -> Bool in
            condition.lock()
            defer { condition.unlock() }
            return entry.cancelReason != nil
        }
        let progress: (Int, Int, [[String]]) -> Void = { [self] step, steps, fills in
            guard job.wantsPreview, let preview = entry.preview, !isCancelled() else { return }
            deliver { preview(step, steps, fills) }
        }
        do {
            let outcome = try backend.run(job, progress: progress, isCancelled: isCancelled)
            return .completed(outcome, timing())
        } catch InfillFailure.cancelled {
            return .cancelled(.requested)
        } catch let failure as InfillFailure {
            return .failed(failure, timing())
        } catch {
            return .failed(.internalFailure("the engine threw \(error)"), timing())
        }
    }
}

/// A job in the queue; `cancelReason` is guarded by the scheduler's lock.
private final class JobEntry {
    let id: UInt64
    let job: InfillJob
    let owner: JobOwner
    let supersedeKey: SupersedeKey?
    let submittedAt: UInt64
    let preview: ((Int, Int, [[String]]) -> Void)?
    let completion: (JobResult) -> Void
    var cancelReason: CancelReason?

    init(
        id: UInt64, job: InfillJob, owner: JobOwner, supersedeKey: SupersedeKey?, submittedAt: UInt64,
        preview: ((Int, Int, [[String]]) -> Void)?, completion: @escaping (JobResult) -> Void
    ) {
        self.id = id
        self.job = job
        self.owner = owner
        self.supersedeKey = supersedeKey
        self.submittedAt = submittedAt
        self.preview = preview
        self.completion = completion
    }

    var summary: QueueRules.JobSummary { QueueRules.JobSummary(id: id, owner: owner, supersedeKey: supersedeKey) }
}

/// Monotonic time.
enum Clock {
    static func nowNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    static func milliseconds(from start: UInt64, to end: UInt64) -> Double {
        Double(end &- start) / 1_000_000
    }
}
