/// The scheduler's decisions as pure functions over snapshots, so they are tested without threads.
public enum QueueRules {
    /// What the scheduler knows about a queued or running job when deciding.
    public struct JobSummary: Equatable, Sendable {
        public var id: UInt64
        public var owner: JobOwner
        public var supersedeKey: SupersedeKey?

        public init(id: UInt64, owner: JobOwner, supersedeKey: SupersedeKey?) {
            self.id = id
            self.owner = owner
            self.supersedeKey = supersedeKey
        }
    }

    /// The jobs a decision cancels.
    public struct Cancellation: Equatable, Sendable {
        /// Queued jobs to remove (answered as cancelled).
        public var queued: [UInt64]
        /// Whether the running job must be asked to stop.
        public var running: Bool

        public init(queued: [UInt64], running: Bool) {
            self.queued = queued
            self.running = running
        }

        public var isEmpty: Bool { queued.isEmpty && !running }
    }

    /// The decision for a new job.
    public struct Admission: Equatable, Sendable {
        /// Accepted into the queue; otherwise rejected with `queueFull`.
        public var accepted: Bool
        /// Jobs the new one supersedes. They are cancelled even when the new job is rejected: the client
        /// has moved on, so their results would be stale anyway.
        public var superseded: Cancellation
    }

    /// Admits a new job: first supersede the jobs with the same key, then check `maxQueue` against the
    /// jobs that still wait (the running job does not count).
    public static func admit(
        supersedeKey: SupersedeKey?, queued: [JobSummary], running: JobSummary?,
        maxQueue: Int
    ) -> Admission {
        var superseded = Cancellation(queued: [], running: false)
        if let supersedeKey {
            superseded.queued = queued.filter { $0.supersedeKey == supersedeKey }.map(\.id)
            superseded.running = running?.supersedeKey == supersedeKey
        }
        let waiting = queued.count - superseded.queued.count
        return Admission(accepted: waiting < maxQueue, superseded: superseded)
    }

    /// The jobs a `$/cancelRequest` for `owner` cancels (at most one).
    public static func cancellation(of owner: JobOwner, queued: [JobSummary], running: JobSummary?) -> Cancellation {
        Cancellation(queued: queued.filter { $0.owner == owner }.map(\.id), running: running?.owner == owner)
    }

    /// The jobs of a connection that went away.
    public static func cancellation(ofConnection connection: Int, queued: [JobSummary], running: JobSummary?)
        -> Cancellation
    {
        Cancellation(
            queued: queued.filter { $0.owner.connection == connection }.map(\.id),
            running: running?.owner.connection == connection)
    }

    /// Steps to run for a job with an optional deadline.
    ///
    /// Before any measurement (`perStepMs == nil`) the requested steps are used: we have no basis to
    /// lower them. Otherwise the largest step count whose estimated compute fits the deadline, at least
    /// 1 and never more than requested.
    public static func steps(requested: Int, deadlineMs: Double?, perStepMs: Double?) -> Int {
        guard let deadlineMs, let perStepMs, perStepMs > 0 else { return requested }
        let fitting = (deadlineMs / perStepMs).rounded(.down)
        guard fitting.isFinite else { return requested }
        if fitting < 1 { return 1 }
        return fitting >= Double(requested) ? requested : Int(fitting)
    }

    /// Exponentially weighted moving average of per-step time; the first sample is taken as is.
    public static func updatedEstimate(previous: Double?, sample: Double, weight: Double = 0.3) -> Double {
        guard let previous else { return sample }
        return previous + weight * (sample - previous)
    }

    /// The `p`-th percentile (0...100) of ascending `sorted` values, nearest-rank; nil when empty.
    public static func percentile(_ p: Double, ofSorted sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
