import InfillScheduler

/// How much the daemon says on stderr. At `info` (the default) and below no line contains document text.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case error
    case warning
    case info
    case debug

    /// Parses a `--log-level` value (`error`, `warning`, `info`, `debug`).
    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { "\($0)" == name.lowercased() }) else { return nil }
        self = level
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What kind of transport a connection came in on (the loop has its own twin; the root maps them).
public enum ConnectionKind: String, Sendable {
    case stdio
    case unix
    case tcp
}

/// The daemon-wide settings the server needs, filled from the command line by the composition root.
public struct ServerConfiguration: Sendable {
    /// Reported as `serverInfo.version`.
    public var serverVersion: String
    /// `--steps`: denoising steps when a request names none (1...1024).
    public var defaultSteps: Int
    /// `--span`: hole size in model tokens when a request names none.
    public var defaultSpan: Int
    /// `--sampler`.
    public var defaultSampler: SamplerKind
    /// `--temperature`: when a request names none; nil leaves it to the engine.
    public var defaultTemperature: Double?
    /// `--unmasking`: when a request names none; nil leaves it to the engine.
    public var defaultUnmasking: UnmaskingKind?
    /// `--context-refresh`: when a request names none; nil leaves it to the engine.
    public var defaultContextRefresh: Int?
    /// Deadline applied when a request names none; nil for none.
    public var defaultDeadlineMs: Double?
    /// `--max-message-bytes`: largest framed message or NDJSON line (default 8 MiB).
    public var maxMessageBytes: Int
    /// Most bytes of text kept on the outer side of the first and last hole before the text reaches the
    /// engine, so that a huge file costs nothing; the cut is reported in `context` truncation flags.
    public var maxContextBytes: Int
    /// Most holes (`ranges`) in one request.
    public var maxHoles: Int
    /// Contents of `--token-file`; connections opened with `requiresAuth` must present it through
    /// `sedd/authenticate`. Surrounding whitespace (a trailing newline) is ignored.
    public var authToken: String?

    public init(
        serverVersion: String = "0.1.0", defaultSteps: Int = 16, defaultSpan: Int = 32,
        defaultSampler: SamplerKind = .analytic, defaultDeadlineMs: Double? = nil,
        maxMessageBytes: Int = 8 << 20, maxContextBytes: Int = 16 << 10, maxHoles: Int = 16,
        authToken: String? = nil, defaultTemperature: Double? = nil, defaultUnmasking: UnmaskingKind? = nil,
        defaultContextRefresh: Int? = nil
    ) {
        precondition((1...1024).contains(defaultSteps), "defaultSteps must be 1...1024")
        precondition(defaultSpan >= 1, "defaultSpan must be positive")
        precondition(maxMessageBytes >= 1 && maxContextBytes >= 1 && maxHoles >= 1, "limits must be positive")
        self.serverVersion = serverVersion
        self.defaultSteps = defaultSteps
        self.defaultSpan = defaultSpan
        self.defaultSampler = defaultSampler
        self.defaultTemperature = defaultTemperature
        self.defaultUnmasking = defaultUnmasking
        self.defaultContextRefresh = defaultContextRefresh
        self.defaultDeadlineMs = defaultDeadlineMs
        self.maxMessageBytes = maxMessageBytes
        self.maxContextBytes = maxContextBytes
        self.maxHoles = maxHoles
        self.authToken = authToken
    }
}

/// Per-connection defaults: start from the configuration, changed by `initializationOptions` and
/// `workspace/didChangeConfiguration` (`settings.sedd`).
struct ConnectionSettings: Equatable {
    var steps: Int
    var span: Int
    var sampler: SamplerKind
    var temperature: Double?
    var unmasking: UnmaskingKind?
    var contextRefresh: Int?
    var deadlineMs: Double?

    init(_ configuration: ServerConfiguration) {
        steps = configuration.defaultSteps
        span = configuration.defaultSpan
        sampler = configuration.defaultSampler
        temperature = configuration.defaultTemperature
        unmasking = configuration.defaultUnmasking
        contextRefresh = configuration.defaultContextRefresh
        deadlineMs = configuration.defaultDeadlineMs
    }
}
