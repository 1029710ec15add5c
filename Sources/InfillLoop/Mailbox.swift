import CLibUV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Work for the loop thread, posted from any thread: a `uv_async_t` plus a locked queue.
///
/// `uv_async_send` coalesces wake-ups, so every wake drains the whole queue; work posted while a drain
/// runs wakes the loop again. Work from one thread runs in the order it was posted. After the loop
/// stops, the mailbox is closed: `post` returns `false` and drops the work (queued work is dropped too).
public final class Mailbox: @unchecked Sendable {
    private let lock = PThreadMutex()
    /// Guarded by `lock`. `nil` once closed; `uv_async_send` is only called while holding the lock and
    /// with this set, so the handle's storage cannot be freed under a sender.
    private var wakeHandle: AsyncWakeHandle?
    private var queue: [() -> Void] = []

    /// - Parameter closesOnStop: `false` only for the loop's own control mailbox, which closes last.
    init(core: LoopCore, closesOnStop: Bool) {
        let wake = AsyncWakeHandle(core: core)
        if uv_async_init(core.loop, wake.pointer(as: uv_async_t.self), mailboxWoke) == 0 {
            wake.adopt()
            wake.mailbox = self
            wakeHandle = wake
            if closesOnStop { core.register(wake) }
        } else {
            wake.discardUnadopted()
        }
    }

    /// A mailbox that was never opened (asked for after the loop stopped).
    init() {}

    /// Queues `work` to run on the loop thread. Safe from any thread.
    /// - Returns: `false` when the mailbox is closed and the work was dropped.
    @discardableResult
    public func post(_ work: @escaping () -> Void) -> Bool {
        lock.withLock {
            guard let wakeHandle else { return false }
            queue.append(work)
            uv_async_send(wakeHandle.pointer(as: uv_async_t.self))
            return true
        }
    }

    /// Whether posts are still accepted.
    public var isOpen: Bool { lock.withLock { wakeHandle != nil } }

    /// Loop thread: runs everything queued so far.
    fileprivate func drain() {
        let batch: [() -> Void] = lock.withLock {
            let taken = queue
            queue.removeAll()
            return taken
        }
        for work in batch { work() }
    }

    /// Loop thread: no more posts; the handle is closed and queued work dropped.
    func close() {
        let (wake, dropped): (AsyncWakeHandle?, [() -> Void]) = lock.withLock {
            let handle = wakeHandle
            wakeHandle = nil
            let taken = queue
            queue.removeAll()
            return (handle, taken)
        }
        _ = dropped  // released here, outside the lock: a closure's captures may have deinits of their own
        wake?.close()
    }
}

/// The `uv_async_t` behind a mailbox.
final class AsyncWakeHandle: LibUVHandle, StopParticipant {
    /// Set right after adoption; cleared when closed, which breaks the mailbox <-> handle cycle.
    var mailbox: Mailbox?

    init(core: LoopCore) {
        super.init(core: core, byteCount: MemoryLayout<uv_async_t>.size)
    }

    func closeForStop() { mailbox?.close() }

    override func didClose() {
        mailbox = nil
        core.unregister(self)
    }
}

private func mailboxWoke(_ async: UnsafeMutablePointer<uv_async_t>?) {
    let wake = LibUVHandle.owner(of: async.map { uvCast($0, to: uv_handle_t.self) }, as: AsyncWakeHandle.self)
    wake.mailbox?.drain()
}

/// A plain pthread mutex on the heap (a Swift struct holding one inline could be moved, which a pthread
/// mutex must never be). Used only by the mailbox, the one thing touched from other threads.
final class PThreadMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
