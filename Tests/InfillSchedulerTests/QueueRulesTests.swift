import XCTest

@testable import InfillScheduler

final class QueueRulesTests: XCTestCase {
    private func job(_ id: UInt64, connection: Int = 1, request: String? = nil, document: String? = nil)
        -> QueueRules.JobSummary
    {
        QueueRules.JobSummary(
            id: id, owner: JobOwner(connection: connection, request: request ?? "r\(id)"),
            supersedeKey: document.map { SupersedeKey(connection: connection, document: $0) })
    }

    func testAdmitsUntilTheQueueIsFull() {
        let queued = [job(1), job(2)]
        XCTAssertTrue(QueueRules.admit(supersedeKey: nil, queued: queued, running: nil, maxQueue: 3).accepted)
        XCTAssertFalse(QueueRules.admit(supersedeKey: nil, queued: queued, running: nil, maxQueue: 2).accepted)
        // The running job does not count against the queue.
        XCTAssertTrue(QueueRules.admit(supersedeKey: nil, queued: [job(1)], running: job(9), maxQueue: 2).accepted)
    }

    func testSupersedesQueuedAndRunningJobsWithTheSameKey() {
        let key = SupersedeKey(connection: 1, document: "file:///a")
        let queued = [job(1, document: "file:///a"), job(2, document: "file:///b"), job(3, document: "file:///a")]
        let admission = QueueRules.admit(
            supersedeKey: key, queued: queued, running: job(0, document: "file:///a"),
            maxQueue: 8)
        XCTAssertTrue(admission.accepted)
        XCTAssertEqual(admission.superseded, QueueRules.Cancellation(queued: [1, 3], running: true))
    }

    func testSupersedingIsPerConnection() {
        let key = SupersedeKey(connection: 2, document: "file:///a")
        let admission = QueueRules.admit(
            supersedeKey: key, queued: [job(1, connection: 1, document: "file:///a")],
            running: job(0, connection: 1, document: "file:///a"), maxQueue: 8)
        XCTAssertTrue(admission.superseded.isEmpty)
    }

    func testSupersededJobsFreeTheirPlacesInAFullQueue() {
        let key = SupersedeKey(connection: 1, document: "file:///a")
        let queued = [job(1, document: "file:///a"), job(2)]
        let admission = QueueRules.admit(supersedeKey: key, queued: queued, running: nil, maxQueue: 2)
        XCTAssertTrue(admission.accepted)
        XCTAssertEqual(admission.superseded.queued, [1])
    }

    func testRejectedJobStillSupersedes() {
        let key = SupersedeKey(connection: 1, document: "file:///a")
        let admission = QueueRules.admit(
            supersedeKey: key, queued: [job(1), job(2)],
            running: job(0, document: "file:///a"), maxQueue: 2)
        XCTAssertFalse(admission.accepted)
        XCTAssertTrue(admission.superseded.running)
    }

    func testCancelByOwnerFindsOnlyThatRequest() {
        let queued = [job(1, request: "a"), job(2, request: "b"), job(3, connection: 2, request: "a")]
        let owner = JobOwner(connection: 1, request: "a")
        XCTAssertEqual(
            QueueRules.cancellation(of: owner, queued: queued, running: nil),
            QueueRules.Cancellation(queued: [1], running: false))
        XCTAssertEqual(
            QueueRules.cancellation(of: owner, queued: [], running: job(5, request: "a")),
            QueueRules.Cancellation(queued: [], running: true))
        XCTAssertTrue(
            QueueRules.cancellation(
                of: JobOwner(connection: 1, request: "zz"), queued: queued,
                running: job(5, request: "a")
            ).isEmpty)
    }

    func testCancelByConnection() {
        let queued = [job(1, connection: 1), job(2, connection: 2), job(3, connection: 1)]
        XCTAssertEqual(
            QueueRules.cancellation(ofConnection: 1, queued: queued, running: job(4, connection: 2)),
            QueueRules.Cancellation(queued: [1, 3], running: false))
        XCTAssertEqual(
            QueueRules.cancellation(ofConnection: 2, queued: queued, running: job(4, connection: 2)),
            QueueRules.Cancellation(queued: [2], running: true))
    }

    func testDeadlineStepsUseRequestedStepsBeforeAnyMeasurement() {
        XCTAssertEqual(QueueRules.steps(requested: 32, deadlineMs: 5, perStepMs: nil), 32)
        XCTAssertEqual(QueueRules.steps(requested: 32, deadlineMs: nil, perStepMs: 10), 32)
    }

    func testDeadlineStepsFitTheEstimateWithinOneAndRequested() {
        XCTAssertEqual(QueueRules.steps(requested: 32, deadlineMs: 100, perStepMs: 10), 10)
        XCTAssertEqual(QueueRules.steps(requested: 32, deadlineMs: 105, perStepMs: 10), 10)
        XCTAssertEqual(QueueRules.steps(requested: 8, deadlineMs: 1000, perStepMs: 10), 8)
        XCTAssertEqual(QueueRules.steps(requested: 8, deadlineMs: 1, perStepMs: 10), 1)
        XCTAssertEqual(QueueRules.steps(requested: 8, deadlineMs: 50, perStepMs: 0), 8)
    }

    func testMovingAverageAndPercentiles() {
        XCTAssertEqual(QueueRules.updatedEstimate(previous: nil, sample: 4), 4)
        XCTAssertEqual(QueueRules.updatedEstimate(previous: 10, sample: 20, weight: 0.5), 15)
        let sorted = (1...100).map(Double.init)
        XCTAssertEqual(QueueRules.percentile(50, ofSorted: sorted), 50)
        XCTAssertEqual(QueueRules.percentile(99, ofSorted: sorted), 99)
        XCTAssertEqual(QueueRules.percentile(100, ofSorted: sorted), 100)
        XCTAssertEqual(QueueRules.percentile(90, ofSorted: [7]), 7)
        XCTAssertNil(QueueRules.percentile(50, ofSorted: []))
    }

    func testLatencyRecorderKeepsAWindowPerStepCount() {
        var recorder = LatencyRecorder(window: 3)
        for value in [100.0, 1, 2, 3] { recorder.record(steps: 16, totalMs: value, computeMs: value) }
        recorder.record(steps: 4, totalMs: 9, computeMs: 8)
        let summaries = recorder.summaries()
        XCTAssertEqual(summaries.map(\.steps), [4, 16])
        XCTAssertEqual(summaries[1].count, 3)
        XCTAssertEqual(summaries[1].p99Ms, 3, "the oldest sample (100) left the window")
        XCTAssertEqual(summaries[0].meanComputeMs, 8)
    }
}
