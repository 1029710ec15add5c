/// The native job and outcome types: nothing JSON-shaped passes the server.

/// Which sampler the engine runs.
public enum SamplerKind: String, Sendable, CaseIterable {
    case analytic
    case euler
}

/// Which masked positions each denoising step reveals.
public enum UnmaskingKind: String, Sendable, CaseIterable {
    /// The reference: each position independently.
    case random
    /// The model's surest positions first, as many as the reference would reveal.
    case confident
}

/// Where a fill stops.
public enum StopRule: String, Sendable, CaseIterable {
    /// Keep the whole fill.
    case none
    /// Trim each fill at its first newline.
    case line
}

/// A native infill job.
public struct InfillJob: Sendable {
    /// n+1 texts around n holes: `seg0 HOLE1 seg1 HOLE2 seg2 ...`.
    public var segments: [String]
    /// Model tokens per hole (n entries).
    public var holeLengths: [Int]
    /// Denoising steps, 1...1024.
    public var steps: Int
    public var sampler: SamplerKind
    /// Sampling temperature, 0...2 (0: likeliest tokens, 1: the reference's draws); nil: the engine's default.
    public var temperature: Double?
    /// nil: the engine's default.
    public var unmasking: UnmaskingKind?
    /// Every how many sampler passes the context is computed in full (1: every pass, the reference;
    /// more: the passes between run on the holes only); nil: the engine's default.
    public var contextRefresh: Int?
    /// What `contextRefresh` accepts.
    public static let contextRefreshRange = 1...1024
    /// Candidates, 1...8, sampled as one batch.
    public var candidates: Int
    /// nil = random.
    public var seed: UInt64?
    public var stop: StopRule
    public var wantsPreview: Bool
    /// The editor's languageId, or nil.
    public var languageID: String?
    /// If set, the scheduler lowers `steps` using the measured per-step time.
    public var deadlineMs: Double?
    /// Each hole is its fill's exact size: the fill takes all of the hole's tokens, none is padding.
    public var fixedLength: Bool

    public init(
        segments: [String], holeLengths: [Int], steps: Int, sampler: SamplerKind, candidates: Int,
        seed: UInt64?, stop: StopRule, wantsPreview: Bool, languageID: String?, deadlineMs: Double?,
        temperature: Double? = nil, unmasking: UnmaskingKind? = nil, contextRefresh: Int? = nil, fixedLength: Bool = false
    ) {
        precondition(segments.count == holeLengths.count + 1, "a job has one more segment than holes")
        self.segments = segments
        self.holeLengths = holeLengths
        self.steps = steps
        self.sampler = sampler
        self.temperature = temperature
        self.unmasking = unmasking
        self.contextRefresh = contextRefresh
        self.candidates = candidates
        self.seed = seed
        self.stop = stop
        self.wantsPreview = wantsPreview
        self.languageID = languageID
        self.deadlineMs = deadlineMs
        self.fixedLength = fixedLength
    }
}

/// One candidate: a fill per hole and the model's score (log-likelihood per byte, higher is better).
public struct InfillCandidate: Sendable {
    public var fills: [String]
    public var score: Double

    public init(fills: [String], score: Double) {
        self.fills = fills
        self.score = score
    }
}

/// How much context the engine used, and whether it had to cut it.
public struct ContextReport: Sendable, Equatable {
    public var prefixTokens: Int
    public var suffixTokens: Int
    public var prefixTruncated: Bool
    public var suffixTruncated: Bool

    public init(prefixTokens: Int, suffixTokens: Int, prefixTruncated: Bool, suffixTruncated: Bool) {
        self.prefixTokens = prefixTokens
        self.suffixTokens = suffixTokens
        self.prefixTruncated = prefixTruncated
        self.suffixTruncated = suffixTruncated
    }
}

/// What the engine returns for a job.
public struct InfillOutcome: Sendable {
    /// Sorted by score, best first.
    public var candidates: [InfillCandidate]
    /// The steps actually run.
    public var steps: Int
    public var sampler: SamplerKind
    public var context: ContextReport
    public var computeMs: Double
    /// Where the compute went, when the engine reports it.
    public var breakdown: ComputeBreakdown?

    public init(
        candidates: [InfillCandidate], steps: Int, sampler: SamplerKind, context: ContextReport,
        computeMs: Double, breakdown: ComputeBreakdown? = nil
    ) {
        self.candidates = candidates
        self.steps = steps
        self.sampler = sampler
        self.context = context
        self.computeMs = computeMs
        self.breakdown = breakdown
    }
}

/// An infill's compute split into its stages (milliseconds) and the model evaluations it ran, for
/// clients tuning latency (the step count is the knob; these say what each step costs).
public struct ComputeBreakdown: Sendable, Equatable {
    /// Stage name and milliseconds, in the order they ran (e.g. layout, healing, sampling, scoring).
    public var stagesMs: [(name: String, ms: Double)]
    public var forwardPasses: Int
    /// How many of the passes ran on the holes only (`contextRefresh` above 1).
    public var holeOnlyPasses: Int

    public init(stagesMs: [(name: String, ms: Double)], forwardPasses: Int, holeOnlyPasses: Int = 0) {
        self.stagesMs = stagesMs
        self.forwardPasses = forwardPasses
        self.holeOnlyPasses = holeOnlyPasses
    }

    public static func == (a: ComputeBreakdown, b: ComputeBreakdown) -> Bool {
        a.forwardPasses == b.forwardPasses && a.holeOnlyPasses == b.holeOnlyPasses && a.stagesMs.map(\.name) == b.stagesMs.map(\.name) && a.stagesMs.map(\.ms) == b.stagesMs.map(\.ms)
    }
}

/// Facts about the loaded model, reported by `initialize` and `sedd/status`.
public struct BackendInfo: Sendable {
    public var modelName: String
    public var vocabularySize: Int
    public var contextLength: Int
    public var parameterCount: Int

    public init(modelName: String, vocabularySize: Int, contextLength: Int, parameterCount: Int) {
        self.modelName = modelName
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.parameterCount = parameterCount
    }
}
