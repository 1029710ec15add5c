import Foundation
import SEDDKernels
import SEDDModel
import Tokenizers

/// The model room's front door: text and holes in, fills out.
///
/// It lays the text out in the model's window, samples every candidate as one batch with the
/// reference's conditional sampler (everything outside the holes is a fixed position), decodes the
/// fills and scores them. Workspaces are kept per (batch, length), so repeated requests of one shape
/// allocate nothing on the model path. Not thread-safe: one worker thread owns an engine.
public final class InfillEngine {
    public let network: SEDDNetwork
    public let tokenizer: any Tokenizer
    public let name: String
    private let sampler: DiffusionSampler
    private var workspaces: [WorkspaceKey: ForwardWorkspace] = [:]
    private var workspaceOrder: [WorkspaceKey] = []
    /// Outer text tokenized per side: generous for the model's context, independent of the file.
    public var maxContextBytes: Int

    struct WorkspaceKey: Hashable { var batch: Int; var length: Int }

    /// Language tag ids by corpus language (config `sedd.languageTags`, else the tokenizer's tags).
    public let languageTags: [String: Int]
    /// The padding id fills are stripped of (config `sedd.paddingID`, else the tokenizer's `<|pad|>`).
    public let paddingID: Int?
    /// The decoding a request gets unless it names another: the model's own (config
    /// `sedd.decoding`, measured for it: docs/default-model.md, "Decoding"), else the reference's
    /// draws (temperature 1, random unmasking).
    public let defaultTemperature: Double
    public let defaultUnmasking: Unmasking
    public let defaultContextRefresh: Int
    /// Ids that never reach a fill's text: the padding and every other special token.
    private let specialIDs: Set<Int>
    /// The special ids but the padding, within the model's rows: no fill position may become one
    /// (the context is one file, and the engine would drop them from the text anyway).
    private let markupIDs: [Int]
    /// Ids whose bytes hold a line feed, within the model's rows: kept out of one-line fills.
    private lazy var lineBreakIDs = tokenizer.lineBreakIDs().filter { $0 < network.config.vocabularySize }
    private let firstStep = FirstStepLogProbabilities()
    private lazy var healing = HealingChooser(
        network: network, tokenizer: tokenizer,
        tokenBytes: HealingChooser.tokenBytes(tokenizer: tokenizer, modelTokens: network.config.tokens))

    public init(network: SEDDNetwork, tokenizer: any Tokenizer, name: String) {
        self.network = network
        self.tokenizer = tokenizer
        self.name = name
        sampler = DiffusionSampler(network: network)
        maxContextBytes = max(4096, network.config.length * 16)
        let extras = network.config.extras
        let tags = (extras.languageTags ?? CodeLanguages.tagIDs(tokenizer)).filter { $0.value >= 0 && $0.value < network.config.tokens }
        languageTags = tags
        let specials = CodeLanguages.specialTokenIDs(tokenizer)
        let padding = extras.paddingID ?? specials[CodeLanguages.padding]
        paddingID = padding
        specialIDs = Set(specials.values).union([padding, extras.endOfTextID].compactMap { $0 }).union(tags.values)
        let rows = 0..<network.config.vocabularySize
        markupIDs = specialIDs.filter { $0 != padding && rows.contains($0) }.sorted()
        defaultTemperature = extras.decoding?.temperature.map { min(max($0, 0), 2) } ?? 1
        defaultUnmasking = extras.decoding?.unmasking.flatMap(Unmasking.init(rawValue:)) ?? .random
        defaultContextRefresh = max(extras.decoding?.contextRefresh ?? 1, 1)
    }

    /// The corpus language a request is in: its editor language id, else its file name's extension;
    /// nil when neither names a language this model has a tag for.
    public func language(of request: InfillRequest) -> String? {
        if let id = request.languageID, let language = CodeLanguages.language(editorID: id), languageTags[language] != nil {
            return language
        }
        if let name = request.fileName, let language = CodeLanguages.language(fileName: name), languageTags[language] != nil {
            return language
        }
        return nil
    }

    /// The id of the language tag a request's window starts with, if any.
    func languageTag(of request: InfillRequest) -> Int? { language(of: request).flatMap { languageTags[$0] } }

    /// The window's room for text and holes: the context less the language tag's position.
    func windowRoom(_ request: InfillRequest) -> Int { contextLength - (languageTag(of: request) == nil ? 0 : 1) }

    /// Loads a model directory: config, weights and its tokenizer files.
    public static func load(modelDirectory: URL) throws -> InfillEngine {
        let network = try ModelDirectory.load(modelDirectory)
        if let decoding = network.config.extras.decoding {
            let file = modelDirectory.appendingPathComponent("config.json").path
            if let t = decoding.temperature, !StepTemperature.range.contains(t) {
                throw ModelError.invalidConfig(file: file, key: "sedd.decoding.temperature", reason: "is \(t); accepted: 0 to 2")
            }
            if let u = decoding.unmasking, Unmasking(rawValue: u) == nil {
                throw ModelError.invalidConfig(file: file, key: "sedd.decoding.unmasking", reason: "is \"\(u)\"; accepted: \"random\" or \"confident\"")
            }
            if let k = decoding.contextRefresh, !SamplingOptions.contextRefreshRange.contains(k) {
                throw ModelError.invalidConfig(
                    file: file, key: "sedd.decoding.contextRefresh",
                    reason: "is \(k); accepted: \(SamplingOptions.contextRefreshRange.lowerBound) to \(SamplingOptions.contextRefreshRange.upperBound)")
            }
        }
        let tokenizer = try GPT2Tokenizer(directory: modelDirectory)
        guard tokenizer.vocabularySize <= network.config.tokens else {
            throw ModelError.invalidConfig(
                file: modelDirectory.appendingPathComponent("config.json").path, key: "tokens",
                reason: "is \(network.config.tokens), smaller than the tokenizer's \(tokenizer.vocabularySize) ids")
        }
        return InfillEngine(network: network, tokenizer: tokenizer, name: network.config.name)
    }

    public var contextLength: Int { network.config.length }

    /// Bytes a request of this shape needs beyond the weights (for `--max-memory`).
    public func workingSetBytes(candidates: Int, length: Int) -> Int {
        ForwardWorkspace.bytes(config: network.config, batch: candidates, length: min(length, contextLength), training: false)
    }

    /// Fills the holes. `progress(step, steps, fills)` runs after each step with the current fills of
    /// every candidate (undecided positions shown as U+2591); `isCancelled` is polled between steps.
    /// Holes too far apart for one window are filled in groups (`HoleGroups.swift`).
    public func infill(
        _ request: InfillRequest, progress: ((Int, Int, [[String]]) -> Void)? = nil, isCancelled: () -> Bool = { false }
    ) throws -> InfillResult {
        try validate(request)
        do {
            return try infillOneWindow(request, progress: progress, isCancelled: isCancelled)
        } catch InfillEngineError.holeTooLarge where request.holeTokens.count > 1 {
            // The window's layout found the holes and the text between them too long (before any
            // pass ran): fill them in groups.
            return try infill(request, inGroups: holeGroups(request), progress: progress, isCancelled: isCancelled)
        }
    }

    /// `infill` of holes that share one window: one sampling run fills them all.
    func infillOneWindow(
        _ request: InfillRequest, progress: ((Int, Int, [[String]]) -> Void)?, isCancelled: () -> Bool
    ) throws -> InfillResult {
        let start = DispatchTime.now().uptimeNanoseconds
        var clock = StageClock(start: start)
        var stages = InfillStageTimes()
        // With the absorbing graph the sampler's first pass (every hole masked at t = 1) is the
        // scorer's and the healing chooser's (see FirstStepLogProbabilities): both read its rows.
        let fromFirstStep = network.config.graph == .absorb
        let prepared = try prepare(request, stages: &stages, healNow: !fromFirstStep)
        let window = prepared.window, healings = prepared.healings
        var healedPositions = prepared.healedPositions
        let L = window.tokens.count, B = request.candidates
        let ws = workspace(batch: B, length: L)
        clock.lap()

        let holePositions = Set(window.holeRanges.flatMap { $0 }).subtracting(healedPositions)
        let fixedPositions = (0..<L).filter { !holePositions.contains($0) }
        let fixed = FixedTokens(positions: fixedPositions, tokens: fixedPositions.map { window.tokens[$0] })
        let seeds = (0..<B).map { request.seed &+ UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        let scoreFromFirstStep = fromFirstStep && !holePositions.isEmpty
        let realTokens = network.config.tokens, rowStride = network.config.vocabularySize
        let edges = zip(window.holeRanges, healings).map { HealingChooser.Edge(hole: $0, healing: $1) }

        // Padding may only end a fill (a fixed-length fill has none at all).
        let paddingRun = paddingID.flatMap { pad in
            fromFirstStep && !request.fixedLength
                ? PaddingRun(padding: pad, mask: network.config.maskID ?? 0, holes: window.holeRanges, batch: B, length: L) : nil
        }
        // One line asked for: keep line breaks out of the fill while sampling when the fill can
        // still end (padding) or is meant to fill its hole; trimming afterwards would cut a fill
        // that spent its tokens past the line's end. A model without padding is only trimmed.
        let singleLine = request.stopAtNewline && (paddingRun != nil || request.fixedLength)
        let rules = FillRules(
            excluded: excludedTokens(fixedLength: request.fixedLength, singleLine: singleLine), paddingRun: paddingRun)
        let passesBefore = sampler.core.forwardPasses
        let contextRefresh = request.contextRefresh ?? defaultContextRefresh
        let sampled = withoutActuallyEscaping(isCancelled) { cancelled in
            sampler.sample(
                ws: ws, options: SamplingOptions(
                    steps: request.steps, predictor: request.predictor,
                    temperature: request.temperature ?? defaultTemperature, unmasking: request.unmasking ?? defaultUnmasking,
                    contextRefresh: contextRefresh),
                fixed: [FixedTokens](repeating: fixed, count: B), seeds: seeds, constraint: rules
            ) { step, steps, x in
                if step == 1 && scoreFromFirstStep {
                    self.firstStep.capture(ws, rowStride: rowStride, realTokens: realTokens)
                    // Healed edges take their tokens now, in every candidate: a revealed token stays.
                    var healed = window.tokens
                    let chosen = self.healing.choose(tokens: &healed, holes: edges, rows: self.firstStep.row(at:))
                    for p in chosen { for b in 0..<B { x[b * L + p] = Int32(healed[p]) } }
                    healedPositions.formUnion(chosen)
                    paddingRun?.healed = healedPositions
                }
                paddingRun?.settle(x)
                if let progress {
                    let fills = (0..<B).map { b in window.holeRanges.map { self.previewText(x, row: b, length: L, range: $0) } }
                    progress(step, steps, fills)
                }
                return !cancelled()
            }
        }
        guard let sequences = sampled else { throw InfillEngineError.cancelled }
        stages.samplingMs = clock.lap()
        stages.forwardPasses += sampler.core.forwardPasses - passesBefore
        if contextRefresh > 1 { stages.holeOnlyPasses = ws.existingContextCache?.reusePasses ?? 0 }

        let scores: [Double]
        if scoreFromFirstStep {
            scores = FillScorer.score(
                sequences: sequences, holeRanges: window.holeRanges, captured: firstStep, leavingOut: healedPositions,
                tokenizer: tokenizer)
        } else {
            scores = FillScorer(network: network).score(sequences: sequences, holeRanges: window.holeRanges, workspace: ws, tokenizer: tokenizer)
            stages.forwardPasses += 1
        }
        stages.scoringMs = clock.lap()
        var candidates: [InfillCandidateResult] = []
        for (b, seq) in sequences.enumerated() {
            let fills = zip(window.holeRanges, healings).map { range, heal -> String in
                var text = decodeFill(Array(seq[range]), dropping: heal)
                if request.stopAtNewline, let nl = text.firstIndex(of: "\n") { text = String(text[..<nl]) }
                return text
            }
            candidates.append(InfillCandidateResult(fills: fills, score: scores[b]))
        }
        candidates.sort { $0.score > $1.score }
        stages.decodingMs = clock.lap()
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        return InfillResult(
            candidates: candidates, prefixTokens: window.prefixTokens, suffixTokens: window.suffixTokens,
            prefixTruncated: window.prefixTruncated, suffixTruncated: window.suffixTruncated, windowTokens: L, computeMs: ms,
            language: prepared.language, stages: stages)
    }

    /// What no fill position may become: markup always, with a fixed length the padding too, and
    /// for a single-line fill every token holding a line feed. Both lists are made once per engine.
    private func excludedTokens(fixedLength: Bool, singleLine: Bool) -> [Int] {
        var ids = markupIDs
        if fixedLength, let pad = paddingID, (0..<network.config.vocabularySize).contains(pad) { ids.append(pad) }
        if singleLine { ids += lineBreakIDs }
        return ids
    }

    /// A request laid out for sampling: the window (tag first, holes masked, healed edge positions
    /// already holding their chosen tokens), what each hole must start and end with, and the positions
    /// healing fixed.
    struct Prepared {
        var window: ContextWindow
        var healings: [HoleHealing]
        var healedPositions: Set<Int>
        var language: String?
    }

    func prepare(_ request: InfillRequest) throws -> Prepared {
        var stages = InfillStageTimes()
        return try prepare(request, stages: &stages)
    }

    /// `prepare`, recording the layout and healing times and passes in `stages`. With `healNow` false
    /// the healed edges stay masked, for the sampler's first step to choose (`infill`).
    func prepare(_ request: InfillRequest, stages: inout InfillStageTimes, healNow: Bool = true) throws -> Prepared {
        var clock = StageClock(start: DispatchTime.now().uptimeNanoseconds)
        let config = network.config
        let language = language(of: request)
        let tag = languageTag(of: request)
        var segments = request.segments
        var healings = [HoleHealing](repeating: HoleHealing(), count: request.holeTokens.count)
        if request.healEdges { (segments, healings) = TokenHealing.heal(segments: segments, holeTokens: request.holeTokens) }
        var window = try ContextWindow.layout(
            segments: segments, holeTokens: request.holeTokens, tokenizer: tokenizer, maskID: config.maskID ?? 0,
            context: windowRoom(request), maxBytes: maxContextBytes)
        // The language tag stands at position 0, as at the start of every training block.
        if let tag {
            window.tokens.insert(tag, at: 0)
            window.holeRanges = window.holeRanges.map { ($0.lowerBound + 1)..<($0.upperBound + 1) }
        }
        var healedPositions = Set<Int>()
        let L = window.tokens.count
        stages.layoutMs = clock.lap()
        guard healNow else { return Prepared(window: window, healings: healings, healedPositions: [], language: tag == nil ? nil : language) }
        let edges = zip(window.holeRanges, healings).map { HealingChooser.Edge(hole: $0, healing: $1) }
        let chosen = healing.choose(tokens: &window.tokens, holes: edges, workspace: workspace(batch: 1, length: L))
        healedPositions.formUnion(chosen.positions)
        stages.forwardPasses += chosen.forwardPasses
        stages.healingMs = clock.lap()
        return Prepared(window: window, healings: healings, healedPositions: healedPositions, language: tag == nil ? nil : language)
    }

    private func validate(_ r: InfillRequest) throws {
        guard !r.holeTokens.isEmpty, r.segments.count == r.holeTokens.count + 1 else {
            throw InfillEngineError.invalidRequest("an infill needs at least one hole and one text more than holes")
        }
        if let bad = r.holeTokens.first(where: { $0 < 1 }) {
            throw InfillEngineError.invalidRequest("hole length must be at least 1 token, got \(bad)")
        }
        guard (1...1024).contains(r.steps) else { throw InfillEngineError.invalidRequest("steps must be 1 to 1024, got \(r.steps)") }
        if let t = r.temperature, !StepTemperature.range.contains(t) {
            throw InfillEngineError.invalidRequest("temperature must be 0 to 2, got \(t)")
        }
        if let k = r.contextRefresh, !SamplingOptions.contextRefreshRange.contains(k) {
            throw InfillEngineError.invalidRequest(
                "contextRefresh must be \(SamplingOptions.contextRefreshRange.lowerBound) to \(SamplingOptions.contextRefreshRange.upperBound), got \(k)")
        }
        guard (1...8).contains(r.candidates) else { throw InfillEngineError.invalidRequest("n must be 1 to 8, got \(r.candidates)") }
        // Holes too far apart share no window and are filled in groups; one hole must fit alone.
        if let largest = r.holeTokens.max(), largest > contextLength {
            throw InfillEngineError.holeTooLarge(tokens: largest, context: contextLength)
        }
    }

    /// Text of a fill: padding removed, bytes decoded (a cut UTF-8 sequence becomes U+FFFD, so the
    /// result is always valid UTF-8).
    /// Special tokens (padding, end-of-text, language tags) are markup, never text: they are dropped.
    /// Healed bytes (which were already in the text) are left out when the fill carries them.
    func decodeFill(_ ids: [Int], dropping heal: HoleHealing = HoleHealing()) -> String {
        let kept = ids.filter { !specialIDs.contains($0) && $0 != network.config.maskID && $0 < tokenizer.vocabularySize }
        var bytes = tokenizer.decodeBytes(kept)[...]
        if bytes.starts(with: heal.requiredStart) { bytes = bytes.dropFirst(heal.requiredStart.count) }
        if bytes.reversed().starts(with: heal.requiredEnd.reversed()) { bytes = bytes.dropLast(heal.requiredEnd.count) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func previewText(_ x: UnsafePointer<Int32>, row b: Int, length L: Int, range: Range<Int>) -> String {
        let mask = network.config.maskID
        var out = ""
        var pending: [Int] = []
        for p in range {
            let id = Int(x[b * L + p])
            if id == mask {
                if !pending.isEmpty { out += decodeFill(pending); pending.removeAll() }
                out += "\u{2591}"
            } else {
                pending.append(id)
            }
        }
        if !pending.isEmpty { out += decodeFill(pending) }
        return out
    }

    private func workspace(batch: Int, length: Int) -> ForwardWorkspace {
        let key = WorkspaceKey(batch: batch, length: length)
        if let ws = workspaces[key] { return ws }
        let ws = ForwardWorkspace(config: network.config, batch: batch, length: length)
        // The engine never changes its weights, and its sampler revisits the same noise levels.
        ws.reusesModulation = true
        workspaces[key] = ws
        workspaceOrder.append(key)
        if workspaceOrder.count > 8 { workspaces[workspaceOrder.removeFirst()] = nil }
        return ws
    }
}
