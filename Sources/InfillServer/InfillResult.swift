import InfillProtocol
import InfillScheduler

/// Turns an engine outcome into the `sedd/infill` result of protocol.md.
enum InfillResult {
    /// Trims a fill at its first line break when the request asked for `stop: "line"`. Applied here too
    /// (it is idempotent) so the rule holds whatever the engine did.
    static func applyStop(_ fill: String, _ stop: StopRule) -> String {
        guard stop == .line else { return fill }
        let bytes = Array(fill.utf8)
        guard let cut = bytes.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) else { return fill }
        return String(decoding: bytes[..<cut], as: UTF8.self)
    }

    /// The candidates that survive `stop` and `minScore`, best first, fills in sorted-hole order.
    static func candidates(_ outcome: InfillOutcome, options: InfillOptions) -> [InfillCandidate] {
        outcome.candidates
            .map { InfillCandidate(fills: $0.fills.map { applyStop($0, options.stop) }, score: $0.score) }
            .filter { candidate in options.minScore.map { candidate.score >= $0 } ?? true }
            .sorted { $0.score > $1.score }
    }

    static func json(
        outcome: InfillOutcome, timing: JobTiming, request: PreparedInfill,
        segments: HoleLayout.Segments, modelName: String
    ) throws(InfillServerError) -> JSONValue {
        let holeCount = request.layout.holes.count
        var items: [JSONValue] = []
        for candidate in candidates(outcome, options: request.options) {
            guard candidate.fills.count == holeCount else {
                throw .internalFailure("the engine returned \(candidate.fills.count) fills for \(holeCount) holes")
            }
            var item: [String: JSONValue] = [
                "fills": .array(request.layout.inRequestOrder(candidate.fills).map { .string($0) }),
                "text": .string(request.layout.filledText(sortedFills: candidate.fills)),
                "score": .double(candidate.score),
            ]
            if let ranges = request.ranges {
                let fills = request.layout.inRequestOrder(candidate.fills)
                item["edits"] = .array(zip(ranges, fills).map { TextEdit(range: $0, newText: $1).json })
            }
            items.append(.object(item))
        }
        let context = outcome.context
        return [
            "items": .array(items),
            "steps": .int(outcome.steps),
            "sampler": .string(outcome.sampler.rawValue),
            "model": .string(modelName),
            "context": [
                "prefixTokens": .int(context.prefixTokens),
                "suffixTokens": .int(context.suffixTokens),
                "prefixTruncated": .bool(context.prefixTruncated || segments.prefixCut),
                "suffixTruncated": .bool(context.suffixTruncated || segments.suffixCut),
            ],
            "timing": timingJSON(timing, outcome.breakdown),
        ]
    }

    /// `timing`: queue and compute milliseconds, and, when the engine reports them, the compute's
    /// stages and the forward passes it ran.
    static func timingJSON(_ timing: JobTiming, _ breakdown: ComputeBreakdown?) -> JSONValue {
        var object: [String: JSONValue] = [
            "queuedMs": .double(rounded(timing.queuedMs)), "computeMs": .double(rounded(timing.computeMs)),
        ]
        if let breakdown {
            object["forwardPasses"] = .int(breakdown.forwardPasses)
            if breakdown.holeOnlyPasses > 0 { object["holeOnlyPasses"] = .int(breakdown.holeOnlyPasses) }
            object["stagesMs"] = .object(Dictionary(uniqueKeysWithValues: breakdown.stagesMs.map { ($0.name, .double(rounded($0.ms))) }))
        }
        return .object(object)
    }

    /// Preview fills of the first candidate, in the client's hole order.
    static func previewFills(_ fills: [[String]], layout: HoleLayout) -> JSONValue {
        guard let first = fills.first, first.count == layout.holes.count else { return .array([]) }
        return .array(layout.inRequestOrder(first).map { .string($0) })
    }

    /// Milliseconds to 0.01 ms: enough for humans, keeps lines short.
    static func rounded(_ milliseconds: Double) -> Double { (milliseconds * 100).rounded() / 100 }
}
