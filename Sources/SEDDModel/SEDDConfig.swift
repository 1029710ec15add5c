import Foundation

/// Which forward process the model was trained with (the reference's `graph.type`).
public enum GraphKind: String, Sendable, Codable {
    case absorb
    case uniform
}

/// The noise schedule (the reference's `noise.*`).
public enum NoiseKind: String, Sendable, Codable {
    case loglinear
    case geometric
}

/// A model configuration, decoded from the reference's nested `config.json` (the hydra config the
/// hub mixin writes): `tokens`, `graph.type`, `noise.{type, sigma_min, sigma_max}`,
/// `model.{hidden_size, cond_dim, n_heads, n_blocks, length, dropout, scale_by_sigma}`.
///
/// Unknown sections (training, optim, ...) are kept verbatim so a config round-trips. sedd's own
/// additions (tokenizer kind, special token ids) live in an optional `sedd` section.
public struct SEDDConfig: Sendable, Equatable {
    public var tokens: Int
    public var graph: GraphKind
    public var noise: NoiseKind
    public var sigmaMin: Double
    public var sigmaMax: Double
    public var name: String
    public var hiddenSize: Int
    public var condDim: Int
    public var heads: Int
    public var blocks: Int
    /// `model.length`: the context the model was trained on. The network itself does not use it;
    /// the infill engine windows text to it.
    public var length: Int
    public var dropout: Double
    public var scaleBySigma: Bool
    /// sedd's own section, if present.
    public var extras: SEDDExtras

    /// The model's vocabulary width: tokens + 1 (the mask, last) for absorb, tokens for uniform.
    public var vocabularySize: Int { graph == .absorb ? tokens + 1 : tokens }
    /// The absorbing graph's mask id, the last column.
    public var maskID: Int? { graph == .absorb ? tokens : nil }
    public var headDim: Int { hiddenSize / heads }

    public init(
        tokens: Int, graph: GraphKind, noise: NoiseKind, sigmaMin: Double = 1e-4, sigmaMax: Double = 20,
        name: String, hiddenSize: Int, condDim: Int, heads: Int, blocks: Int, length: Int,
        dropout: Double = 0.1, scaleBySigma: Bool? = nil, extras: SEDDExtras = SEDDExtras()
    ) {
        self.tokens = tokens
        self.graph = graph
        self.noise = noise
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
        self.name = name
        self.hiddenSize = hiddenSize
        self.condDim = condDim
        self.heads = heads
        self.blocks = blocks
        self.length = length
        self.dropout = dropout
        self.scaleBySigma = scaleBySigma ?? (graph == .absorb)
        self.extras = extras
    }

    /// Checks the shape rules the network relies on; the message names the key.
    public func validate(source: String) throws {
        func fail(_ key: String, _ why: String) -> ModelError { .invalidConfig(file: source, key: key, reason: why) }
        if tokens < 2 { throw fail("tokens", "must be at least 2, got \(tokens)") }
        if hiddenSize < 2 { throw fail("model.hidden_size", "must be positive, got \(hiddenSize)") }
        if heads < 1 || hiddenSize % heads != 0 {
            throw fail("model.n_heads", "must divide model.hidden_size (\(hiddenSize)), got \(heads)")
        }
        if headDim % 2 != 0 { throw fail("model.n_heads", "head dimension \(headDim) must be even (rotary)") }
        if condDim < 1 { throw fail("model.cond_dim", "must be positive, got \(condDim)") }
        if blocks < 1 { throw fail("model.n_blocks", "must be positive, got \(blocks)") }
        if length < 1 { throw fail("model.length", "must be positive, got \(length)") }
        if !(0..<1).contains(dropout) { throw fail("model.dropout", "must be in [0, 1), got \(dropout)") }
        if scaleBySigma && graph != .absorb {
            throw fail("model.scale_by_sigma", "is only valid with graph.type absorb (the reference asserts this)")
        }
        if noise == .geometric && !(sigmaMin > 0 && sigmaMax > sigmaMin) {
            throw fail("noise.sigma_min", "geometric noise needs 0 < sigma_min < sigma_max")
        }
    }
}

/// sedd's additions to the reference config, under the `sedd` key.
public struct SEDDExtras: Sendable, Equatable, Codable {
    /// "gpt2" (encoder.json + vocab.bpe or vocab.json + merges.txt in the model directory) or "bytes".
    public var tokenizer: String?
    public var endOfTextID: Int?
    public var paddingID: Int?
    /// Language tag token ids, by editor language id ("swift", "python", ...).
    public var languageTags: [String: Int]?
    /// The decoding measured best for this model (its model card says how); absent, fills are
    /// sampled as the reference samples.
    public var decoding: Decoding?

    /// `sedd.decoding` of config.json.
    public struct Decoding: Sendable, Equatable, Codable {
        /// 0 to 2 (`StepTemperature`).
        public var temperature: Double?
        /// "random" or "confident" (`Unmasking`).
        public var unmasking: String?
        /// Every how many sampler passes the context is computed in full (`SamplingOptions.contextRefresh`).
        public var contextRefresh: Int?
        public init(temperature: Double? = nil, unmasking: String? = nil, contextRefresh: Int? = nil) {
            self.temperature = temperature
            self.unmasking = unmasking
            self.contextRefresh = contextRefresh
        }
    }

    public init(
        tokenizer: String? = nil, endOfTextID: Int? = nil, paddingID: Int? = nil, languageTags: [String: Int]? = nil,
        decoding: Decoding? = nil
    ) {
        self.tokenizer = tokenizer
        self.endOfTextID = endOfTextID
        self.paddingID = paddingID
        self.languageTags = languageTags
        self.decoding = decoding
    }
}
