import Foundation

/// Stands in for the loop's mailbox in tests: closures posted from any thread run on the test thread
/// when it pumps. Shared by the scheduler's and the server's tests.
public final class TestMailbox: @unchecked Sendable {
    public init() {}

    private let lock = NSLock()
    private var work: [() -> Void] = []
    private let signal = DispatchSemaphore(value: 0)

    public func post(_ closure: @escaping () -> Void) {
        lock.lock()
        work.append(closure)
        lock.unlock()
        signal.signal()
    }

    /// Runs posted closures until `condition` holds; false if it still does not after `timeout` seconds
    /// (a generous bound that only catches hangs, not a timing assertion).
    @discardableResult
    public func pump(timeout: TimeInterval = 30, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            lock.lock()
            let batch = work
            work.removeAll()
            lock.unlock()
            if batch.isEmpty {
                if Date() > deadline { return false }
                _ = signal.wait(timeout: .now() + .milliseconds(20))
                continue
            }
            for closure in batch { closure() }
        }
        return true
    }
}
