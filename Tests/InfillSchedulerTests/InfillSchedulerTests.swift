import Foundation
import TestSupport
import XCTest

@testable import InfillScheduler

final class InfillSchedulerTests: XCTestCase {
    private var backend: ScriptedBackend!
    private var mailbox: TestMailbox!
    private var scheduler: InfillScheduler!

    override func setUp() {
        backend = ScriptedBackend()
        mailbox = TestMailbox()
        makeScheduler(maxQueue: 4)
    }

    override func tearDown() {
        backend.release()
        scheduler.stop()
    }

    private func makeScheduler(maxQueue: Int, maxMemoryBytes: Int? = nil) {
        let mailbox = self.mailbox!
        scheduler = InfillScheduler(
            backend: backend,
            configuration: SchedulerConfiguration(maxQueue: maxQueue, maxMemoryBytes: maxMemoryBytes),
            deliver: { mailbox.post($0) })
        scheduler.start()
    }

    private func job(steps: Int = 4, deadlineMs: Double? = nil, preview: Bool = false) -> InfillJob {
        InfillJob(
            segments: ["a", "b"], holeLengths: [3], steps: steps, sampler: .analytic, candidates: 1, seed: 1,
            stop: .none, wantsPreview: preview, languageID: nil, deadlineMs: deadlineMs)
    }

    private func owner(_ request: String, connection: Int = 1) -> JobOwner {
        JobOwner(connection: connection, request: request)
    }

    /// Submits and returns a box the completion fills.
    private func submit(
        _ job: InfillJob, _ request: String, connection: Int = 1, key: String? = nil,
        preview: ((Int, Int, [[String]]) -> Void)? = nil
    ) throws -> ResultBox {
        let box = ResultBox()
        try scheduler.submit(
            job, owner: owner(request, connection: connection),
            supersedeKey: key.map { SupersedeKey(connection: connection, document: $0) }, preview: preview
        ) {
            box.results.append($0)
        }
        return box
    }

    private func waitUntilRunning() {
        XCTAssertEqual(backend.started.wait(timeout: .now() + 30), .success)
    }

    func testRunsJobsInOrderAndDeliversEachOnce() throws {
        let first = try submit(job(), "1")
        let second = try submit(job(), "2")
        XCTAssertTrue(mailbox.pump { first.done && second.done })
        XCTAssertEqual(first.results.count, 1)
        guard case .completed(let outcome, _)? = second.results.first else { return XCTFail("\(second.results)") }
        XCTAssertEqual(outcome.candidates.first?.fills, ["fill0"])
        XCTAssertEqual(scheduler.statistics().served, 2)
        XCTAssertEqual(scheduler.statistics().latency.first?.count, 2)
    }

    func testCancelsARunningJob() throws {
        backend.hold()
        let box = try submit(job(), "1")
        waitUntilRunning()
        XCTAssertTrue(scheduler.cancel(owner("1")))
        XCTAssertTrue(mailbox.pump { box.done })
        guard case .cancelled(.requested)? = box.results.first else { return XCTFail("\(box.results)") }
        XCTAssertFalse(scheduler.cancel(owner("1")), "an answered job is no longer cancellable")
    }

    func testCancelsAQueuedJobWithoutRunningIt() throws {
        backend.hold()
        let running = try submit(job(), "1")
        waitUntilRunning()
        let queued = try submit(job(), "2")
        XCTAssertTrue(scheduler.cancel(owner("2")))
        XCTAssertTrue(mailbox.pump { queued.done })
        guard case .cancelled(.requested)? = queued.results.first else { return XCTFail("\(queued.results)") }
        backend.release()
        XCTAssertTrue(mailbox.pump { running.done })
        XCTAssertEqual(backend.jobs.count, 1)
    }

    func testNewerJobSupersedesOlderOnesOfTheSameKey() throws {
        backend.hold()
        let running = try submit(job(), "1", key: "doc")
        waitUntilRunning()
        let queued = try submit(job(), "2", key: "doc")
        let other = try submit(job(), "3", key: "other")
        let newest = try submit(job(), "4", key: "doc")
        backend.release()
        XCTAssertTrue(mailbox.pump { running.done && queued.done && other.done && newest.done })
        guard case .cancelled(.superseded)? = running.results.first,
            case .cancelled(.superseded)? = queued.results.first,
            case .completed? = other.results.first, case .completed? = newest.results.first
        else { return XCTFail("\(running.results) \(queued.results) \(other.results) \(newest.results)") }
    }

    func testRejectsWhenTheQueueIsFull() throws {
        makeSchedulerWith(maxQueue: 1)
        backend.hold()
        _ = try submit(job(), "1")
        waitUntilRunning()
        _ = try submit(job(), "2")
        XCTAssertThrowsError(try submit(job(), "3")) { error in
            XCTAssertEqual(error as? InfillFailure, .queueFull(limit: 1))
        }
        XCTAssertEqual(scheduler.statistics().rejected, 1)
    }

    func testCancelsEverythingOfAConnection() throws {
        backend.hold()
        let running = try submit(job(), "1", connection: 7)
        waitUntilRunning()
        let queued = try submit(job(), "2", connection: 7)
        let survivor = try submit(job(), "3", connection: 8)
        scheduler.cancelAll(connection: 7)
        backend.release()
        XCTAssertTrue(mailbox.pump { running.done && queued.done && survivor.done })
        guard case .cancelled(.connectionClosed)? = running.results.first,
            case .cancelled(.connectionClosed)? = queued.results.first, case .completed? = survivor.results.first
        else { return XCTFail("\(running.results) \(queued.results) \(survivor.results)") }
    }

    func testDeadlineLowersStepsOnlyAfterAMeasurement() throws {
        let first = try submit(job(steps: 8, deadlineMs: 0.001), "1")
        XCTAssertTrue(mailbox.pump { first.done })
        guard case .completed(let unmeasured, _)? = first.results.first else { return XCTFail("\(first.results)") }
        XCTAssertEqual(unmeasured.steps, 8, "no measurement yet: the requested steps")
        XCTAssertNotNil(scheduler.statistics().perStepMs)
        let second = try submit(job(steps: 8, deadlineMs: 0.001), "2")
        XCTAssertTrue(mailbox.pump { second.done })
        guard case .completed(let lowered, _)? = second.results.first else { return XCTFail("\(second.results)") }
        XCTAssertEqual(lowered.steps, 1, "a deadline far below one step's time runs one step")
        XCTAssertEqual(backend.jobs.last?.steps, 1)
    }

    func testPreviewsArriveBeforeTheCompletion() throws {
        var events: [String] = []
        let box = ResultBox()
        try scheduler.submit(
            job(steps: 3, preview: true), owner: owner("1"),
            preview: { step, steps, fills in
                events.append("preview \(step)/\(steps) \(fills[0][0])")
            }
        ) { _ in
            events.append("done")
            box.results.append(.cancelled(.requested))
        }
        XCTAssertTrue(mailbox.pump { box.done })
        XCTAssertEqual(events, ["preview 1/3 ░░░", "preview 2/3 ░░░", "preview 3/3 ░░░", "done"])
    }

    func testWorkingSetAboveTheLimitFails() throws {
        makeSchedulerWith(maxQueue: 4, maxMemoryBytes: 100)
        backend.workingSet = 101
        let box = try submit(job(), "1")
        XCTAssertTrue(mailbox.pump { box.done })
        guard case .failed(.workingSetTooLarge(101, 100), _)? = box.results.first else {
            return XCTFail("\(box.results)")
        }
        XCTAssertEqual(backend.jobs.count, 0)
    }

    func testForeignErrorsBecomeInternalFailures() throws {
        backend.failure = NSError(domain: "test", code: 3)
        let box = try submit(job(), "1")
        XCTAssertTrue(mailbox.pump { box.done })
        guard case .failed(.internalFailure, _)? = box.results.first else { return XCTFail("\(box.results)") }
        XCTAssertEqual(scheduler.statistics().failed, 1)
    }

    func testStopCancelsQueuedJobsAndRefusesNewOnes() throws {
        backend.hold()
        let running = try submit(job(), "1")
        waitUntilRunning()
        let queued = try submit(job(), "2")
        scheduler.stop()
        XCTAssertTrue(mailbox.pump { running.done && queued.done })
        guard case .cancelled(.shuttingDown)? = running.results.first,
            case .cancelled(.shuttingDown)? = queued.results.first
        else { return XCTFail("\(running.results) \(queued.results)") }
        XCTAssertThrowsError(try submit(job(), "3")) { error in
            XCTAssertEqual(error as? InfillFailure, .shuttingDown)
        }
    }

    private func makeSchedulerWith(maxQueue: Int, maxMemoryBytes: Int? = nil) {
        scheduler.stop()
        makeScheduler(maxQueue: maxQueue, maxMemoryBytes: maxMemoryBytes)
    }
}

/// Collects a job's completions (the test thread is the delivery thread).
final class ResultBox {
    var results: [JobResult] = []
    var done: Bool { !results.isEmpty }
}
