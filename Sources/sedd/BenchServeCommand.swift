import ArgumentParser
import Foundation
import InfillProtocol
import SEDDKernels

/// `sedd bench serve`: drives a running daemon with concurrent clients and checks that every request got
/// exactly one response. Each client is a thread with a blocking socket and one request in flight at a
/// time (an editor's pattern); a fraction of the requests is followed at once by `$/cancelRequest`.
struct BenchServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Drive a running sedd serve with concurrent clients: throughput, latency, exactly-once answers.")

    @Option(help: "The daemon: unix:PATH or tcp:HOST:PORT.") var connect: String
    @Option(help: "Concurrent clients (one connection and one thread each).") var clients: Int = 4
    @Option(help: "Requests in total, over all clients.") var requests: Int = 200
    @Option(help: "Denoising steps per request.") var steps: Int = 4
    @Option(help: "Hole size in tokens.") var length: Int = 16
    @Option(help: "Fraction of requests cancelled right after sending (0 to 1).") var cancelFraction: Double = 0
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        guard (1...1024).contains(clients) else { throw CLIError("--clients must be 1 to 1024, got \(clients)") }
        guard requests >= clients else {
            throw CLIError("--requests must be at least --clients (\(clients)), got \(requests)")
        }
        guard (1...1024).contains(steps) else { throw CLIError("--steps must be 1 to 1024, got \(steps)") }
        guard (1...65536).contains(length) else { throw CLIError("--length must be 1 to 65536, got \(length)") }
        guard (0...1).contains(cancelFraction) else {
            throw CLIError("--cancel-fraction must be from 0 to 1, got \(cancelFraction)")
        }
        let control = try DaemonClient(address: connect)
        let before = try BenchServe.memory(control, id: 1)

        let collected = CollectedTallies(clients: clients)
        let group = DispatchGroup()
        let started = DispatchTime.now().uptimeNanoseconds
        for client in 0..<clients {
            let count = requests / clients + (client < requests % clients ? 1 : 0)
            let plan = ClientPlan(
                client: client, count: count, steps: steps, length: length, cancelFraction: cancelFraction)
            group.enter()
            let thread = Thread { [connect] in
                do {
                    collected.record(client, try plan.run(address: connect))
                } catch {
                    collected.fail(client, error)
                }
                group.leave()
            }
            thread.name = "bench-client-\(client)"
            thread.start()
        }
        group.wait()
        let wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let after = try BenchServe.memory(control, id: 2)
        control.close()

        let (tallies, failures) = collected.snapshot()
        let total = tallies.reduce(into: ClientTally()) { $0.merge($1) }
        let report = BenchServeReport(
            address: connect, clients: clients, requests: requests, steps: steps, length: length,
            cancelFraction: cancelFraction, wallSeconds: wallSeconds, total: total,
            residentBefore: before.resident, residentAfter: after.resident, peakAfter: after.peak,
            clientFailures: failures)
        print(json ? report.json : report.text)
        if !failures.isEmpty || !total.violations.isEmpty || total.answered != requests {
            throw CLIError("not every request got exactly one response (see above)")
        }
    }

    /// Resident and peak resident bytes from `sedd/status`.
    static func memory(_ client: DaemonClient, id: Int) throws -> (resident: Int?, peak: Int?) {
        let response = try client.call(id: id, method: "sedd/status", params: .null)
        let memory = response["result"]?["memory"]
        return (memory?["residentBytes"]?.numberValue?.intValue, memory?["peakResidentBytes"]?.numberValue?.intValue)
    }
}

/// The client threads' tallies, written under a lock, read after they all finished.
final class CollectedTallies: @unchecked Sendable {
    private let lock = NSLock()
    private var tallies: [ClientTally]
    private var failures: [String] = []

    init(clients: Int) { tallies = Array(repeating: ClientTally(), count: clients) }

    func record(_ client: Int, _ tally: ClientTally) { lock.withLock { tallies[client] = tally } }

    func fail(_ client: Int, _ error: Error) { lock.withLock { failures.append("client \(client): \(error)") } }

    func snapshot() -> ([ClientTally], [String]) { lock.withLock { (tallies, failures) } }
}

/// What one client saw.
struct ClientTally {
    var results = 0
    var cancelled = 0
    var errors = 0
    var cancelsSent = 0
    /// Send to answer, of requests answered with a result.
    var latenciesMs: [Double] = []
    /// Duplicate, unknown or missing answers: each breaks "exactly one response per request".
    var violations: [String] = []
    /// The first few error messages, to say what went wrong.
    var errorSamples: [String] = []

    var answered: Int { results + cancelled + errors }

    mutating func merge(_ other: ClientTally) {
        results += other.results
        cancelled += other.cancelled
        errors += other.errors
        cancelsSent += other.cancelsSent
        latenciesMs += other.latenciesMs
        violations += other.violations
        errorSamples += other.errorSamples.prefix(max(0, 5 - errorSamples.count))
    }
}

/// One client's requests: sequential, each optionally followed at once by its cancel.
struct ClientPlan: Sendable {
    let client: Int
    let count: Int
    let steps: Int
    let length: Int
    let cancelFraction: Double

    func run(address: String) throws -> ClientTally {
        let connection = try DaemonClient(address: address)
        defer { connection.close() }
        var tally = ClientTally()
        var random = SplitMix(seed: UInt64(client) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        var answeredIDs = Set<Int>()
        for index in 0..<count {
            let id = index + 1
            let params: JSONValue = [
                "prefix": .string("func client\(client)_\(index)(x: Int) -> Int {\n    let y = "),
                "suffix": "\n    return y\n}\n", "length": .int(length), "steps": .int(steps),
                "seed": .number(JSONNumber(UInt64(client * 1_000_000 + index))),
            ]
            var messages: [JSONValue] = [["jsonrpc": "2.0", "id": .int(id), "method": "sedd/infill", "params": params]]
            if random.nextUnit() < cancelFraction {
                messages.append(["jsonrpc": "2.0", "method": "$/cancelRequest", "params": ["id": .int(id)]])
                tally.cancelsSent += 1
            }
            let sentAt = DispatchTime.now().uptimeNanoseconds
            try connection.send(messages)
            while true {
                let message = try connection.receive()
                if message["method"] != nil { continue }  // a notification
                guard let answeredID = message["id"]?.numberValue?.intValue else {
                    tally.violations.append(
                        "client \(client): a response without a usable id: \(JSONWriter.string(message))")
                    continue
                }
                if answeredID != id {
                    tally.violations.append(
                        answeredIDs.contains(answeredID)
                            ? "client \(client): a second answer to request \(answeredID)"
                            : "client \(client): an answer to request \(answeredID), which was never sent")
                    continue
                }
                answeredIDs.insert(id)
                if message["result"] != nil {
                    tally.results += 1
                    tally.latenciesMs.append(Double(DispatchTime.now().uptimeNanoseconds - sentAt) / 1e6)
                } else if message["error"]?["code"]?.numberValue?.intValue == -32800 {
                    tally.cancelled += 1
                } else {
                    tally.errors += 1
                    if tally.errorSamples.count < 5 { tally.errorSamples.append(JSONWriter.string(message)) }
                }
                break
            }
        }
        // A last request on the same connection: any late second answer would arrive before its response.
        let closing = try connection.call(id: count + 1, method: "sedd/status", params: .null)
        if closing["result"] == nil { tally.violations.append("client \(client): sedd/status failed at the end") }
        return tally
    }
}

/// A small deterministic generator, so that a run's cancel pattern can be repeated.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func nextUnit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SeededRandom.unitInterval(hashing: state)
    }
}

/// The figures of one `sedd bench serve` run.
struct BenchServeReport {
    let address: String
    let clients, requests, steps, length: Int
    let cancelFraction: Double
    let wallSeconds: Double
    let total: ClientTally
    let residentBefore, residentAfter, peakAfter: Int?
    let clientFailures: [String]

    private var sorted: [Double] { total.latenciesMs.sorted() }

    private func percentile(_ p: Double) -> Double? {
        let values = sorted
        guard !values.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(values.count)).rounded(.up))
        return values[min(values.count - 1, max(0, rank - 1))]
    }

    private static func fixed(_ value: Double?, _ digits: Int = 2) -> String {
        value.map { String(format: "%.\(digits)f", $0) } ?? "-"
    }

    private static func mebibytes(_ bytes: Int?) -> String {
        bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "-"
    }

    var exactlyOnce: Bool { clientFailures.isEmpty && total.violations.isEmpty && total.answered == requests }

    var text: String {
        var lines = [
            "sedd bench serve: \(clients) clients, \(requests) requests (steps \(steps), length \(length), "
                + "cancel fraction \(cancelFraction)) against \(address)",
            "  wall \(Self.fixed(wallSeconds, 2)) s: \(Self.fixed(Double(total.answered) / wallSeconds, 1)) responses/s, "
                + "\(Self.fixed(Double(total.results) / wallSeconds, 1)) results/s",
            "  latency of results (send to answer): p50 \(Self.fixed(percentile(50))) ms, "
                + "p95 \(Self.fixed(percentile(95))) ms, p99 \(Self.fixed(percentile(99))) ms, "
                + "max \(Self.fixed(sorted.last)) ms",
            "  responses \(total.answered) for \(requests) requests: results \(total.results), "
                + "cancelled \(total.cancelled) (cancels sent \(total.cancelsSent)), errors \(total.errors)",
            "  exactly one response per request: \(exactlyOnce ? "yes" : "NO")",
            "  daemon resident memory: before \(Self.mebibytes(residentBefore)), after \(Self.mebibytes(residentAfter)), "
                + "peak \(Self.mebibytes(peakAfter))",
        ]
        for sample in total.errorSamples { lines.append("  error: \(sample)") }
        for violation in total.violations.prefix(10) { lines.append("  violation: \(violation)") }
        for failure in clientFailures { lines.append("  client failed: \(failure)") }
        return lines.joined(separator: "\n")
    }

    var json: String {
        func number(_ value: Double?) -> JSONValue { value.map { .double(($0 * 1000).rounded() / 1000) } ?? .null }
        func bytes(_ value: Int?) -> JSONValue { value.map { .int($0) } ?? .null }
        let object: JSONValue = [
            "address": .string(address), "clients": .int(clients), "requests": .int(requests), "steps": .int(steps),
            "length": .int(length), "cancelFraction": .double(cancelFraction), "wallSeconds": number(wallSeconds),
            "responsesPerSecond": number(Double(total.answered) / wallSeconds),
            "resultsPerSecond": number(Double(total.results) / wallSeconds),
            "latencyMs": [
                "p50": number(percentile(50)), "p95": number(percentile(95)), "p99": number(percentile(99)),
                "max": number(sorted.last),
            ],
            "responses": .int(total.answered), "results": .int(total.results), "cancelled": .int(total.cancelled),
            "cancelsSent": .int(total.cancelsSent), "errors": .int(total.errors),
            "exactlyOnce": .bool(exactlyOnce), "violations": .array(total.violations.map { .string($0) }),
            "residentBytesBefore": bytes(residentBefore), "residentBytesAfter": bytes(residentAfter),
            "peakResidentBytes": bytes(peakAfter),
        ]
        return JSONWriter.string(object)
    }
}
