import CLibUV

/// A `uv_timer_t`: fires on the loop thread after `ms`, then every `repeatMs` when that is not 0.
///
/// A one-shot timer is closed (and forgets its closure) right after it fires, unless the closure restarted
/// it; a repeating one runs until `cancel()` or the loop stops. For a debounce, call `restart(ms:)` while
/// the timer is pending and make a new timer once it returns `false`. Loop thread only.
public final class LoopTimer {
    private let timer: TimerHandle?

    init(core: LoopCore, ms: UInt64, repeatMs: UInt64, fire: @escaping () -> Void) {
        let timer = TimerHandle(core: core, fire: fire)
        if uv_timer_init(core.loop, timer.pointer(as: uv_timer_t.self)) == 0 {
            timer.adopt()
            core.register(timer)
            self.timer = timer
            timer.start(ms: ms, repeatMs: repeatMs)
        } else {
            timer.discardUnadopted()
            self.timer = nil
        }
    }

    /// A timer that never fires (asked for after the loop stopped).
    init() { timer = nil }

    /// Whether the timer is still going to fire.
    public var isPending: Bool { timer.map { !$0.isClosing } ?? false }

    /// Pushes the timer back: it next fires `ms` from now, then every `repeatMs`.
    /// - Returns: `false` when the timer already fired (one-shot) or was cancelled; make a new one then.
    @discardableResult
    public func restart(ms: UInt64, repeatMs: UInt64 = 0) -> Bool {
        guard let timer, !timer.isClosing else { return false }
        timer.start(ms: ms, repeatMs: repeatMs)
        return true
    }

    /// Stops the timer for good and releases its closure. Idempotent.
    public func cancel() { timer?.close() }
}

final class TimerHandle: LibUVHandle, StopParticipant {
    private var fire: (() -> Void)?
    private var repeatMs: UInt64 = 0
    /// Bumped by every start, so a one-shot closure that restarts its own timer keeps it alive.
    private var generation = 0

    init(core: LoopCore, fire: @escaping () -> Void) {
        self.fire = fire
        super.init(core: core, byteCount: MemoryLayout<uv_timer_t>.size)
    }

    func start(ms: UInt64, repeatMs: UInt64) {
        self.repeatMs = repeatMs
        generation += 1
        uv_timer_start(pointer(as: uv_timer_t.self), timerFired, ms, repeatMs)
    }

    fileprivate func fired() {
        let before = generation
        fire?()
        if repeatMs == 0 && generation == before { close() }
    }

    func closeForStop() { close() }

    override func willClose() { uv_timer_stop(pointer(as: uv_timer_t.self)) }

    override func didClose() {
        fire = nil
        core.unregister(self)
    }
}

private func timerFired(_ timer: UnsafeMutablePointer<uv_timer_t>?) {
    LibUVHandle.owner(of: timer.map { uvCast($0, to: uv_handle_t.self) }, as: TimerHandle.self).fired()
}
