import SEDDKernels
import SEDDModel
import Tokenizers
import XCTest

@testable import InfillEngine

/// The engine's pass budget: the scorer reads the sampler's first step (absorbing graph), healing
/// asks the model once per request, and the stage record counts the passes.
final class InfillStageTests: XCTestCase {
    func testScoresFromTheFirstStepEqualTheScorersOwnPass() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let network = TinyCodeModel.engineParts(tokenizer: tokenizer)
        let config = network.config
        let prefix = tokenizer.encode("let a = bar("), suffix = tokenizer.encode(")\nreturn foo\n")
        let mask = config.maskID!
        let window = prefix + [Int](repeating: mask, count: 5) + suffix
        let hole = prefix.count..<(prefix.count + 5)
        let L = window.count, B = 3
        let fixedPositions = (0..<L).filter { !hole.contains($0) }
        let fixed = FixedTokens(positions: fixedPositions, tokens: fixedPositions.map { window[$0] })

        let ws = ForwardWorkspace(config: config, batch: B, length: L)
        let captured = FirstStepLogProbabilities()
        let sequences = try XCTUnwrap(
            DiffusionSampler(network: network).sample(
                ws: ws, options: SamplingOptions(steps: 3), fixed: [FixedTokens](repeating: fixed, count: B), seeds: [1, 2, 3]
            ) { step, _, _ in
                if step == 1 { captured.capture(ws, rowStride: config.vocabularySize, realTokens: config.tokens) }
                return true
            })
        for p in hole { XCTAssertTrue(captured.contains(p)) }
        XCTAssertFalse(captured.contains(hole.lowerBound - 1), "context positions are not scored")

        let fromFirstStep = FillScorer.score(sequences: sequences, holeRanges: [hole], captured: captured, tokenizer: tokenizer)
        let oracle = FillScorer(network: network).score(
            sequences: sequences, holeRanges: [hole], workspace: ForwardWorkspace(config: config, batch: B, length: L),
            tokenizer: tokenizer)
        XCTAssertEqual(fromFirstStep.count, B)
        // Same logits (same input, same kernels); only the log-sum-exp's exp differs (vector vs libm,
        // within 2 ulp), far below 1e-4 nats per byte.
        for b in 0..<B { XCTAssertEqual(fromFirstStep[b], oracle[b], accuracy: 1e-4, "candidate \(b)") }
        XCTAssertTrue(fromFirstStep.allSatisfy { $0 < 0 && $0.isFinite }, "log-probabilities per byte: \(fromFirstStep)")
    }

    func testAnInfillRunsAtMostOnePassPerStepHealedOrNot() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let engine = InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
        let plain = try engine.infill(InfillRequest(segments: ["let a = bar(", ")\n"], holeTokens: [4], steps: 5, candidates: 2))
        // At most one pass per step and the denoiser's: a step with no masked position left runs none
        // (this untrained head unmasks everything early), the denoiser only when a mask is left.
        XCTAssertTrue((1...6).contains(plain.stages.forwardPasses), "\(plain.stages.forwardPasses)")
        // Both edges of this hole heal (the cursor is inside a word): the sampler's first pass chooses
        // their tokens, so no pass is added; the chooser alone (`prepare`) runs one for both.
        let healed = try engine.infill(InfillRequest(segments: ["let fo", "o = bar(1)\n"], holeTokens: [6], steps: 5))
        XCTAssertTrue((1...6).contains(healed.stages.forwardPasses), "\(healed.stages.forwardPasses)")
        var healingStages = InfillStageTimes()
        _ = try engine.prepare(InfillRequest(segments: ["let fo", "o = bar(1)\n"], holeTokens: [6], steps: 5), stages: &healingStages)
        XCTAssertEqual(healingStages.forwardPasses, 1, "one healing pass for both edges")
        for stages in [plain.stages, healed.stages] {
            let parts = [stages.layoutMs, stages.healingMs, stages.samplingMs, stages.scoringMs, stages.decodingMs]
            XCTAssertTrue(parts.allSatisfy { $0 >= 0 })
            XCTAssertGreaterThan(stages.samplingMs, 0)
        }
        XCTAssertLessThanOrEqual(healed.stages.samplingMs + healed.stages.healingMs, healed.computeMs + 1e-6)
    }

    func testHealingFromTheFirstStepChoosesWhatItsOwnPassChooses() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let engine = InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
        for (segments, seed) in [(["let fo", "o = bar(1)\n"], UInt64(1)), (["func a() {\n    ", "\n}\n"], 2)] {
            let request = InfillRequest(segments: segments, holeTokens: [6], steps: 5, candidates: 2, seed: seed)
            // The oracle: the chooser's own pass over the same window (every hole masked at t = 1).
            let prepared = try engine.prepare(request)
            let hole = prepared.window.holeRanges[0], healing = prepared.healings[0]
            let startIDs = hole.prefix { prepared.healedPositions.contains($0) }.map { prepared.window.tokens[$0] }
            let expectedStart = Array(tokenizer.decodeBytes(startIDs).dropFirst(healing.requiredStart.count))
            let result = try engine.infill(request)
            for candidate in result.candidates {
                let fill = Array(candidate.fills[0].utf8)
                XCTAssertTrue(fill.starts(with: expectedStart), "\(segments): \(candidate.fills[0]) after \(tokenizer.decode(startIDs))")
                if !healing.requiredEnd.isEmpty {
                    let endBytes = tokenizer.tokenBytes(prepared.window.tokens[hole.upperBound - 1]).dropLast(healing.requiredEnd.count)
                    XCTAssertTrue(fill.reversed().starts(with: endBytes.reversed()), "\(segments): \(candidate.fills[0])")
                }
            }
        }
    }

    func testALongHealedWordIsCarriedWholeAfterOnePass() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let engine = InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
        // A word the tiny vocabulary has no single token for: the chosen token covers part of it and
        // the tokenizer's encoding carries the rest, with no further passes.
        let word = " fooquxbazbarzap"
        var stages = InfillStageTimes()
        let prepared = try engine.prepare(InfillRequest(segments: ["let" + word, " = 1\n"], holeTokens: [24]), stages: &stages)
        XCTAssertEqual(stages.forwardPasses, 1)
        let hole = prepared.window.holeRanges[0]
        XCTAssertEqual(prepared.healings[0].requiredStart, Array(word.utf8))
        let startIDs = hole.prefix { prepared.healedPositions.contains($0) }.map { prepared.window.tokens[$0] }
        XCTAssertGreaterThan(startIDs.count, 1, "no single token covers the word")
        XCTAssertTrue(tokenizer.decodeBytes(startIDs).starts(with: Array(word.utf8)), tokenizer.decode(startIDs))
        XCTAssertEqual(prepared.healedPositions.count, startIDs.count, "only the start heals here")
    }
}
