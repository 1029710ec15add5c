import Dispatch

/// Lap timer for `InfillStageTimes`: each `lap()` returns the milliseconds since the previous one.
struct StageClock {
    private var last: UInt64

    init(start: UInt64) { last = start }

    @discardableResult
    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e6
    }
}
