import Dispatch

/// Holes too far apart for one window: filled in groups, left to right.
///
/// One run fills every hole of a request when the holes and the text between them fit the model's
/// context (the sampler then sees all of them at once). When they do not, the holes are split into
/// runs of neighbours that do fit, each group is filled in a run of its own with the text nearest it
/// as context, and later groups see the fills of earlier ones (the best candidate's): what a user
/// filling a file's holes from the top would get by asking for each region in turn. A single hole
/// larger than the context is still an error.
extension InfillEngine {
    /// Consecutive hole indices that share a window, in order, for a request whose holes do not all fit
    /// one (`infill` tries the one window first: its layout finds out without extra work).
    func holeGroups(_ request: InfillRequest) throws -> [Range<Int>] {
        let n = request.holeTokens.count, context = windowRoom(request)
        var groups: [Range<Int>] = []
        var start = 0
        while start < n {
            var end = start + 1
            let alone = innerTokens(request, holes: start..<end)
            if alone > context { throw InfillEngineError.holeTooLarge(tokens: alone, context: context) }
            while end < n && innerTokens(request, holes: start..<(end + 1)) <= context { end += 1 }
            groups.append(start..<end)
            start = end
        }
        return groups
    }

    /// Tokens the holes `holes` and the text between them take in a window, counted as `prepare` lays
    /// them out (after healing moves the bytes of cut words into the holes).
    private func innerTokens(_ request: InfillRequest, holes: Range<Int>) -> Int {
        var segments = Array(request.segments[holes.lowerBound...holes.upperBound])
        let holeTokens = Array(request.holeTokens[holes])
        if request.healEdges { segments = TokenHealing.heal(segments: segments, holeTokens: holeTokens).segments }
        return segments.dropFirst().dropLast().reduce(0) { $0 + tokenizer.encode($1).count } + holeTokens.reduce(0, +)
    }

    /// The request of group `holes`: the text before it holds the fills chosen so far, the text after
    /// it leaves later holes empty.
    func groupRequest(_ request: InfillRequest, holes: Range<Int>, fillsBefore: [String], seed: UInt64) -> InfillRequest {
        var group = request
        var before = request.segments[0]
        for (i, fill) in fillsBefore.enumerated() { before += fill + request.segments[i + 1] }
        let after = request.segments[(holes.upperBound)...].joined()
        group.segments = [before] + request.segments[(holes.lowerBound + 1)..<holes.upperBound] + [after]
        group.holeTokens = Array(request.holeTokens[holes])
        group.seed = seed
        return group
    }

    /// Fills `groups` one after the other. Candidate k holds every group's k-th best fills; its score
    /// is the mean of those groups' scores. Previews report every hole, steps counted across groups.
    func infill(
        _ request: InfillRequest, inGroups groups: [Range<Int>], progress: ((Int, Int, [[String]]) -> Void)?,
        isCancelled: () -> Bool
    ) throws -> InfillResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let B = request.candidates, totalSteps = groups.count * request.steps
        var fills = [[String]](repeating: [String](repeating: "", count: request.holeTokens.count), count: B)
        var scores = [Double](repeating: 0, count: B)
        var results: [InfillResult] = []
        for (g, holes) in groups.enumerated() {
            let sub = groupRequest(
                request, holes: holes, fillsBefore: Array(fills[0][..<holes.lowerBound]), seed: request.seed &+ UInt64(g))
            let stepsBefore = g * request.steps
            let result = try infillOneWindow(sub, progress: progress.map { report in
                { step, _, groupFills in
                    var all = fills
                    for b in 0..<B { all[b].replaceSubrange(holes, with: groupFills[b]) }
                    report(stepsBefore + step, totalSteps, all)
                }
            }, isCancelled: isCancelled)
            for (b, candidate) in result.candidates.enumerated() {
                fills[b].replaceSubrange(holes, with: candidate.fills)
                scores[b] += candidate.score / Double(groups.count)
            }
            results.append(result)
        }
        var combined = results[0]
        combined.candidates = zip(fills, scores).map { InfillCandidateResult(fills: $0, score: $1) }.sorted { $0.score > $1.score }
        combined.suffixTokens = results[results.count - 1].suffixTokens
        combined.suffixTruncated = results[results.count - 1].suffixTruncated
        combined.windowTokens = results.map(\.windowTokens).max() ?? 0
        combined.computeMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        combined.stages = results.dropFirst().reduce(results[0].stages) { $0.adding($1.stages) }
        return combined
    }
}

extension InfillStageTimes {
    /// The stages of two runs, added.
    func adding(_ other: InfillStageTimes) -> InfillStageTimes {
        var sum = self
        sum.layoutMs += other.layoutMs
        sum.healingMs += other.healingMs
        sum.samplingMs += other.samplingMs
        sum.scoringMs += other.scoringMs
        sum.decodingMs += other.decodingMs
        sum.forwardPasses += other.forwardPasses
        sum.holeOnlyPasses += other.holeOnlyPasses
        return sum
    }
}
