/// Latency and count statistics for `sedd/status` and for deadline planning.

/// Latency of served jobs that ran a given step count.
public struct LatencySummary: Sendable, Equatable {
    public var steps: Int
    /// Jobs recorded in the window (the most recent `window` jobs of this step count).
    public var count: Int
    /// Percentiles of total latency (queued + compute), milliseconds.
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    /// Mean compute time, milliseconds.
    public var meanComputeMs: Double
}

/// A snapshot of the scheduler's state.
public struct SchedulerStatistics: Sendable {
    /// Jobs waiting (not counting the running one).
    public var queueDepth: Int
    public var isRunning: Bool
    public var served: Int
    public var cancelled: Int
    public var failed: Int
    /// Jobs refused at submission (queue full, shutting down).
    public var rejected: Int
    /// Current estimate of compute per denoising step and candidate, milliseconds; nil before any job.
    public var perStepMs: Double?
    /// One entry per step count seen, ascending by steps.
    public var latency: [LatencySummary]
}

/// Keeps the last `window` latencies per step count.
struct LatencyRecorder {
    let window: Int
    private var totals: [Int: [Double]] = [:]
    private var computes: [Int: [Double]] = [:]

    init(window: Int) {
        precondition(window > 0, "the latency window must hold at least one sample")
        self.window = window
    }

    mutating func record(steps: Int, totalMs: Double, computeMs: Double) {
        totals[steps, default: []].append(totalMs)
        computes[steps, default: []].append(computeMs)
        if totals[steps]!.count > window {
            totals[steps]!.removeFirst()
            computes[steps]!.removeFirst()
        }
    }

    func summaries() -> [LatencySummary] {
        totals.keys.sorted().map { steps in
            let sorted = totals[steps]!.sorted()
            let compute = computes[steps]!
            return LatencySummary(
                steps: steps, count: sorted.count,
                p50Ms: QueueRules.percentile(50, ofSorted: sorted) ?? 0,
                p90Ms: QueueRules.percentile(90, ofSorted: sorted) ?? 0,
                p99Ms: QueueRules.percentile(99, ofSorted: sorted) ?? 0,
                meanComputeMs: compute.reduce(0, +) / Double(compute.count))
        }
    }
}
