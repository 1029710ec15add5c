import SEDDModel

/// One infill as the engine sees it: text around holes, in plain values.
public struct InfillRequest: Sendable {
    /// n+1 texts around n holes: segments[0] HOLE segments[1] HOLE ... segments[n].
    public var segments: [String]
    /// Model tokens per hole (n entries, each >= 1).
    public var holeTokens: [Int]
    public var steps: Int
    public var predictor: Predictor
    /// Sampling temperature (`StepTemperature`): 1 draws as the reference does, 0 takes each revealed
    /// position's most likely token; nil: the engine's default (`InfillEngine.defaultTemperature`).
    public var temperature: Double?
    /// Which masked positions each step reveals (`Unmasking`); nil: the engine's default.
    public var unmasking: Unmasking?
    /// Every how many sampler passes the context is computed in full (`SamplingOptions.contextRefresh`;
    /// 1, every pass, is the reference); nil: the engine's default.
    public var contextRefresh: Int?
    /// Candidates sampled as one batch.
    public var candidates: Int
    public var seed: UInt64
    /// One line per fill: when the fill can end early (a padded hole) or takes its whole hole
    /// (`fixedLength`), no position may become a token holding a line feed, so the line is the whole
    /// fill; otherwise (a model without padding) the fill is trimmed at its first newline.
    public var stopAtNewline: Bool
    /// The editor's language id (`swift`, `typescriptreact`, `cpp`, ...): picks the language tag the
    /// model sees at position 0. Unknown ids fall back to `fileName`.
    public var languageID: String?
    /// The file's name or path; its extension picks the language when `languageID` does not.
    public var fileName: String?
    /// Heal hole edges that fall inside a word or after whitespace (see `TokenHealing`).
    public var healEdges: Bool
    /// Every hole is the fill's exact size: no position may become padding, so each fill takes all
    /// of its hole's tokens. False (the editor's case): a fill may end early, the rest of its hole
    /// padded (and stripped).
    public var fixedLength: Bool

    public init(
        segments: [String], holeTokens: [Int], steps: Int = 16, predictor: Predictor = .analytic,
        temperature: Double? = nil, unmasking: Unmasking? = nil, contextRefresh: Int? = nil,
        candidates: Int = 1, seed: UInt64 = 0,
        stopAtNewline: Bool = false, languageID: String? = nil, fileName: String? = nil, healEdges: Bool = true,
        fixedLength: Bool = false
    ) {
        self.segments = segments
        self.holeTokens = holeTokens
        self.steps = steps
        self.predictor = predictor
        self.temperature = temperature
        self.unmasking = unmasking
        self.contextRefresh = contextRefresh
        self.candidates = candidates
        self.seed = seed
        self.stopAtNewline = stopAtNewline
        self.languageID = languageID
        self.fileName = fileName
        self.healEdges = healEdges
        self.fixedLength = fixedLength
    }
}

/// One candidate: a fill per hole and the model's log-likelihood-per-byte estimate.
public struct InfillCandidateResult: Sendable {
    public var fills: [String]
    public var score: Double
}

/// The engine's answer.
public struct InfillResult: Sendable {
    /// Sorted by score, best first.
    public var candidates: [InfillCandidateResult]
    public var prefixTokens: Int
    public var suffixTokens: Int
    public var prefixTruncated: Bool
    public var suffixTruncated: Bool
    public var windowTokens: Int
    public var computeMs: Double
    /// The language whose tag the model saw, nil when none applied.
    public var language: String?
    /// Where `computeMs` went.
    public var stages = InfillStageTimes()
}

/// Wall-clock milliseconds of an infill's stages (they add up to about `computeMs`), and how many
/// forward passes it ran: for people tuning latency, and `sedd bench infill --stages`.
public struct InfillStageTimes: Sendable, Equatable {
    /// Tokenizing the text and laying out the window.
    public var layoutMs = 0.0
    /// Choosing the tokens of healed hole edges when that needs a pass of its own (a uniform-graph
    /// model); with the absorbing graph the choice is part of the sampler's first step (`samplingMs`).
    public var healingMs = 0.0
    /// The sampler: its forward passes and per-position probability rows and draws.
    public var samplingMs = 0.0
    /// Scoring the candidates (from the sampler's first step, or a pass of its own).
    public var scoringMs = 0.0
    /// Decoding fills to text.
    public var decodingMs = 0.0
    /// Forward passes run: sampling steps, the denoiser and, when needed (uniform graph), the scorer.
    public var forwardPasses = 0
    /// How many of them ran on the holes only, against the context kept from a full pass
    /// (`contextRefresh` above 1).
    public var holeOnlyPasses = 0
    public init() {}
}

/// Why an infill could not be served. Messages name the field and what is accepted.
public enum InfillEngineError: Error, CustomStringConvertible, Equatable {
    case holeTooLarge(tokens: Int, context: Int)
    case invalidRequest(String)
    case cancelled

    public var description: String {
        switch self {
        case .holeTooLarge(let tokens, let context):
            return "a hole of \(tokens) tokens is larger than the model's context of \(context) tokens; ask for a smaller hole"
        case .invalidRequest(let why): return why
        case .cancelled: return "cancelled"
        }
    }
}
