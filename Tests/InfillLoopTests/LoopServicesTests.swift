import Foundation
import InfillLoop
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

final class LoopServicesTests: XCTestCase {
    func testMailboxDeliversEveryPostOnceInOrderPerThread() throws {
        let loop = try EventLoop()
        let mailbox = loop.makeMailbox()
        let threads = 6
        let postsPerThread = 5000
        let seen = LoopThreadOnly<[[Int]]>(Array(repeating: [], count: threads))
        let loopThread = Locked<Set<String>>([])
        let runner = LoopRunner(loop)
        runner.start()
        runConcurrently(threads) { thread in
            for sequence in 0..<postsPerThread {
                let posted = mailbox.post {
                    seen.value[thread].append(sequence)
                    loopThread.withValue { _ = $0.insert("\(pthread_self())") }
                }
                XCTAssertTrue(posted)
            }
        }
        // Every post above happened before this one, and the queue is FIFO: stop runs after them all.
        mailbox.post { loop.stop() }
        runner.waitUntilFinished()
        for thread in 0..<threads {
            XCTAssertEqual(
                seen.value[thread], Array(0..<postsPerThread), "thread \(thread): lost, doubled or reordered")
        }
        XCTAssertEqual(loopThread.current.count, 1, "posts ran on more than one thread")
        XCTAssertFalse(mailbox.post {}, "a mailbox must refuse posts once the loop stopped")
        XCTAssertFalse(mailbox.isOpen)
    }

    func testStopFromAnotherThreadEndsAnIdleLoop() throws {
        let loop = try EventLoop()
        _ = loop.makeMailbox()
        let runner = LoopRunner(loop)
        runner.start()
        runner.stopAndWait()
        XCTAssertThrowsError(try loop.listen(.tcp(host: "127.0.0.1", port: 0), allowRemote: false) { _ in }) {
            XCTAssertEqual($0 as? LoopError, .stopped)
        }
    }

    func testOneShotTimerFiresOnceAndRepeatingTimerUntilCancelled() throws {
        let loop = try EventLoop()
        var oneShotFires = 0
        var repeatFires = 0
        var cancelledFires = 0
        var oneShot: LoopTimer?
        let cancelled = loop.addTimer(ms: 1, repeatMs: 0) { cancelledFires += 1 }
        cancelled.cancel()
        XCTAssertFalse(cancelled.isPending)
        XCTAssertFalse(cancelled.restart(ms: 1))
        oneShot = loop.addTimer(ms: 1, repeatMs: 0) { oneShotFires += 1 }
        var repeating: LoopTimer?
        repeating = loop.addTimer(ms: 1, repeatMs: 1) { [unowned loop] in
            repeatFires += 1
            if repeatFires == 5 {
                repeating?.cancel()
                loop.stop()
            }
        }
        let runner = LoopRunner(loop)
        runner.start()
        runner.waitUntilFinished()
        XCTAssertEqual(oneShotFires, 1)
        XCTAssertEqual(repeatFires, 5)
        XCTAssertEqual(cancelledFires, 0)
        XCTAssertFalse(oneShot?.isPending ?? true, "a one-shot timer is finished after firing")
        XCTAssertFalse(oneShot?.restart(ms: 1) ?? true)
    }

    /// Debounce: restarting a pending timer pushes it back, so a burst fires it once.
    func testRestartingAPendingTimerDebounces() throws {
        let loop = try EventLoop()
        var fires = 0
        var ticks = 0
        let debounce = loop.addTimer(ms: 60_000, repeatMs: 0) { fires += 1 }
        var ticker: LoopTimer?
        ticker = loop.addTimer(ms: 1, repeatMs: 1) {
            ticks += 1
            if ticks < 10 {
                XCTAssertTrue(debounce.restart(ms: 60_000))
            } else if ticks == 10 {
                XCTAssertTrue(debounce.restart(ms: 0))
            } else if !debounce.isPending {
                ticker?.cancel()
                loop.stop()
            }
        }
        let runner = LoopRunner(loop)
        runner.start()
        runner.waitUntilFinished()
        XCTAssertEqual(fires, 1)
    }

    func testTermSignalReachesTheHandlerInsteadOfKillingTheProcess() throws {
        let loop = try EventLoop()
        var received: [Int32] = []
        loop.onSignals { [unowned loop] number in
            received.append(number)
            loop.stop()
        }
        _ = loop.addTimer(ms: 0, repeatMs: 0) { kill(getpid(), SIGTERM) }
        let runner = LoopRunner(loop)
        runner.start()
        runner.waitUntilFinished()
        XCTAssertEqual(received, [SIGTERM])
    }

    func testWritingToAClosedPeerDoesNotRaiseSigpipe() throws {
        _ = try EventLoop()  // ignores SIGPIPE for the process
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        close(fds[0])
        var byte: UInt8 = 1
        XCTAssertEqual(write(fds[1], &byte, 1), -1)
        XCTAssertEqual(errno, EPIPE)
        close(fds[1])
    }
}
