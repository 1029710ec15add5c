import InfillProtocol
import InfillScheduler

/// The options of `sedd/infill`, validated, with the connection's defaults filled in.
struct InfillOptions {
    /// Largest `length` accepted as a parameter; whether it fits the model is checked separately.
    static let maximumLength = 65_536

    var length: Int
    var steps: Int
    var deadlineMs: Double?
    var sampler: SamplerKind
    var temperature: Double?
    var unmasking: UnmaskingKind?
    var contextRefresh: Int?
    var candidates: Int
    var seed: UInt64?
    var stop: StopRule
    var preview: Bool
    var minScore: Double?
    var languageID: String?
    /// The holes are the fills' exact size: no padding (see `InfillJob.fixedLength`).
    var fixedLength: Bool

    init(defaults: ConnectionSettings) {
        length = defaults.span
        steps = defaults.steps
        deadlineMs = defaults.deadlineMs
        sampler = defaults.sampler
        temperature = defaults.temperature
        unmasking = defaults.unmasking
        contextRefresh = defaults.contextRefresh
        candidates = 1
        seed = nil
        stop = .none
        preview = false
        minScore = nil
        languageID = nil
        fixedLength = false
    }

    init(_ reader: JSONFieldReader, defaults: ConnectionSettings) throws(InfillProtocolError) {
        self.init(defaults: defaults)
        length = try reader.optionalInt("length", in: 1...InfillOptions.maximumLength) ?? length
        steps = try reader.optionalInt("steps", in: 1...1024) ?? steps
        deadlineMs = try reader.optionalDouble("deadlineMs", in: 1...600_000) ?? deadlineMs
        sampler = try reader.optionalChoice("sampler", of: SamplerKind.self) ?? sampler
        temperature = try reader.optionalDouble("temperature", in: 0...2) ?? temperature
        unmasking = try reader.optionalChoice("unmasking", of: UnmaskingKind.self) ?? unmasking
        contextRefresh = try reader.optionalInt("contextRefresh", in: InfillJob.contextRefreshRange) ?? contextRefresh
        candidates = try reader.optionalInt("n", in: 1...8) ?? candidates
        seed = try reader.optionalUInt64("seed")
        stop = try reader.optionalChoice("stop", of: StopRule.self) ?? stop
        preview = try reader.optionalBool("preview") ?? false
        minScore = try reader.optionalDouble("minScore", in: -1e9...1e9)
        languageID = try reader.optionalString("languageId")
        fixedLength = try reader.optionalBool("fixedLength") ?? false
    }
}

/// A validated `sedd/infill` request, ready to become a job.
struct PreparedInfill {
    var layout: HoleLayout
    var options: InfillOptions
    /// The client's ranges (normalised: past-the-end characters clamped), in the client's order; nil for
    /// the `prefix`/`suffix` shape, which gets no `edits`.
    var ranges: [Range]?

    /// Reads either shape of params.
    static func parse(
        _ params: JSONValue?, defaults: ConnectionSettings, encoding: PositionEncoding,
        documents: DocumentStore, maxHoles: Int
    ) throws(InfillServerError) -> PreparedInfill {
        do {
            let reader = try JSONFieldReader(params, path: "")
            var options = try InfillOptions(reader, defaults: defaults)
            let hasText = reader.has("prefix") || reader.has("suffix")
            let hasRanges = reader.has("ranges") || reader.has("textDocument") || reader.has("text")
            if hasText && hasRanges {
                throw InfillServerError.invalidParams(
                    field: "params",
                    expected: "either prefix/suffix, or ranges with textDocument or text", got: "both shapes")
            }
            if hasText {
                let layout = HoleLayout(
                    prefix: try reader.optionalString("prefix") ?? "",
                    suffix: try reader.optionalString("suffix") ?? "")
                return PreparedInfill(layout: layout, options: options, ranges: nil)
            }
            guard let rangeValues = try reader.optionalArray("ranges", count: 1...maxHoles) else {
                throw InfillServerError.invalidParams(
                    field: "params",
                    expected: "prefix/suffix, or ranges (1...\(maxHoles)) with textDocument or text", got: "neither")
            }
            let bytes: [UInt8]
            let lines: LineTable
            if let identifier = try reader.optionalObject("textDocument") {
                if reader.has("text") {
                    throw InfillServerError.invalidParams(
                        field: "params", expected: "textDocument or text",
                        got: "both")
                }
                let uri = try identifier.string("uri")
                guard let document = documents[uri] else { throw InfillServerError.documentNotOpen(uri: uri) }
                bytes = document.bytes
                lines = document.lines
                options.languageID = options.languageID ?? document.languageID
            } else {
                guard let text = try reader.optionalString("text") else {
                    throw InfillServerError.invalidParams(
                        field: "params", expected: "textDocument or text with ranges",
                        got: "ranges alone")
                }
                bytes = Array(text.utf8)
                lines = LineTable(bytes)
            }
            var holes: [Swift.Range<Int>] = []
            var normalised: [Range] = []
            for (index, value) in rangeValues.enumerated() {
                let range = try Range(json: value, path: "ranges[\(index)]")
                let start = try lines.byteOffset(
                    of: range.start, in: bytes, encoding: encoding,
                    field: "ranges[\(index)].start")
                let end = try lines.byteOffset(
                    of: range.end, in: bytes, encoding: encoding, field: "ranges[\(index)].end")
                holes.append(start..<max(start, end))
                normalised.append(
                    Range(
                        start: lines.position(ofByteOffset: start, in: bytes, encoding: encoding),
                        end: lines.position(ofByteOffset: max(start, end), in: bytes, encoding: encoding)))
            }
            let layout = try HoleLayout(bytes: bytes, holesInRequestOrder: holes)
            return PreparedInfill(layout: layout, options: options, ranges: normalised)
        } catch let error as InfillServerError {
            throw error
        } catch let error as InfillProtocolError {
            throw .protocolViolation(error)
        } catch {
            throw .internalFailure("unexpected \(error) while reading sedd/infill params")
        }
    }

    /// The native job; the outer segments are cut to `maxContextBytes`.
    func job(maxContextBytes: Int) -> (job: InfillJob, segments: HoleLayout.Segments) {
        let segments = layout.segments(maxContextBytes: maxContextBytes)
        let job = InfillJob(
            segments: segments.texts, holeLengths: Array(repeating: options.length, count: layout.holes.count),
            steps: options.steps, sampler: options.sampler, candidates: options.candidates, seed: options.seed,
            stop: options.stop, wantsPreview: options.preview, languageID: options.languageID,
            deadlineMs: options.deadlineMs, temperature: options.temperature, unmasking: options.unmasking,
            contextRefresh: options.contextRefresh, fixedLength: options.fixedLength)
        return (job, segments)
    }
}
