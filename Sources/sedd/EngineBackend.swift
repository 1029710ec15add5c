import Foundation
import InfillEngine
import InfillScheduler
import SEDDModel

/// Adapts the engine to the scheduler's `InfillBackend`: native jobs in, outcomes out. This is the
/// only place where the daemon's types meet the model's, which is why it lives in the composition
/// root. Called only on the scheduler's worker thread.
final class EngineBackend: InfillBackend {
    let engine: InfillEngine
    let info: BackendInfo

    init(engine: InfillEngine) {
        self.engine = engine
        let config = engine.network.config
        info = BackendInfo(
            modelName: engine.name, vocabularySize: config.vocabularySize, contextLength: config.length,
            parameterCount: engine.network.parameters.table.parameterCount)
    }

    func workingSetBytes(of job: InfillJob) -> Int {
        // Upper bound: the window is at most the context; holes alone may already fill it.
        engine.workingSetBytes(candidates: job.candidates, length: engine.contextLength)
    }

    func run(_ job: InfillJob, progress: (Int, Int, [[String]]) -> Void, isCancelled: () -> Bool) throws -> InfillOutcome {
        let request = InfillRequest(
            segments: job.segments, holeTokens: job.holeLengths, steps: job.steps,
            predictor: job.sampler == .euler ? .euler : .analytic,
            temperature: job.temperature, unmasking: job.unmasking.map { $0 == .confident ? .confident : .random },
            contextRefresh: job.contextRefresh,
            candidates: job.candidates,
            seed: job.seed ?? UInt64.random(in: 0...UInt64.max), stopAtNewline: job.stop == .line,
            languageID: job.languageID, fixedLength: job.fixedLength)
        let result: InfillResult
        do {
            result = try withoutActuallyEscaping(progress) { progress in
                try engine.infill(request, progress: job.wantsPreview ? progress : nil, isCancelled: isCancelled)
            }
        } catch let error as InfillEngineError {
            switch error {
            case .cancelled: throw InfillFailure.cancelled
            case .holeTooLarge(let tokens, let context): throw InfillFailure.holeTooLarge(tokens: tokens, context: context)
            case .invalidRequest(let why): throw InfillFailure.internalFailure(why)
            }
        }
        return InfillOutcome(
            candidates: result.candidates.map { InfillCandidate(fills: $0.fills, score: $0.score) },
            steps: job.steps, sampler: job.sampler,
            context: ContextReport(
                prefixTokens: result.prefixTokens, suffixTokens: result.suffixTokens,
                prefixTruncated: result.prefixTruncated, suffixTruncated: result.suffixTruncated),
            computeMs: result.computeMs,
            breakdown: ComputeBreakdown(
                stagesMs: [
                    ("layout", result.stages.layoutMs), ("healing", result.stages.healingMs),
                    ("sampling", result.stages.samplingMs), ("scoring", result.stages.scoringMs),
                    ("decoding", result.stages.decodingMs),
                ],
                forwardPasses: result.stages.forwardPasses, holeOnlyPasses: result.stages.holeOnlyPasses))
    }
}
