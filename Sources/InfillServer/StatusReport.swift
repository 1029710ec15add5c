import Foundation
import InfillProtocol
import InfillScheduler

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `sedd/status` result: model, uptime, start-up, queue, counts, latency per step count, memory.
enum StatusReport {
    static func json(server: InfillServer) -> JSONValue {
        let statistics = server.scheduler.statistics()
        var result: [String: JSONValue] = [
            "model": .string(server.backendInfo.modelName),
            "uptimeMs": .double(InfillResult.rounded(server.uptimeMs)),
            "queueDepth": .int(statistics.queueDepth),
            "running": .bool(statistics.isRunning),
            "served": .int(statistics.served),
            "cancelled": .int(statistics.cancelled),
            "failed": .int(statistics.failed),
            "rejected": .int(statistics.rejected),
            "connections": .int(server.connections.count),
            "latency": .array(
                statistics.latency.map { summary in
                    [
                        "steps": .int(summary.steps), "count": .int(summary.count),
                        "p50Ms": .double(InfillResult.rounded(summary.p50Ms)),
                        "p90Ms": .double(InfillResult.rounded(summary.p90Ms)),
                        "p99Ms": .double(InfillResult.rounded(summary.p99Ms)),
                        "meanComputeMs": .double(InfillResult.rounded(summary.meanComputeMs)),
                    ]
                }),
            "memory": memory(),
        ]
        result["startupMs"] = server.startupMs.map { .double(InfillResult.rounded($0)) } ?? .null
        result["perStepMs"] = statistics.perStepMs.map { .double(InfillResult.rounded($0)) } ?? .null
        return .object(result)
    }

    /// Resident set size now (Linux `/proc/self/statm`) and at its peak (`getrusage`).
    static func memory() -> JSONValue {
        var members: [String: JSONValue] = [:]
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Int(fields[1]) {
                members["residentBytes"] = .int(pages * Int(sysconf(Int32(_SC_PAGESIZE))))
            }
        }
        var usage = rusage()
        #if os(Linux)
            let who = __rusage_who_t(RUSAGE_SELF.rawValue)
        #else
            let who = RUSAGE_SELF
        #endif
        if getrusage(who, &usage) == 0 {
            #if os(Linux)
                members["peakResidentBytes"] = .int(Int(usage.ru_maxrss) * 1024)
            #else
                members["peakResidentBytes"] = .int(Int(usage.ru_maxrss))
            #endif
        }
        return .object(members)
    }
}
