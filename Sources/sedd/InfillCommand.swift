import ArgumentParser
import Foundation
import InfillEngine
import InfillProtocol
import SEDDKernels
import SEDDModel
import Tokenizers

struct InfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infill",
        abstract: "Fill the holes in text read from stdin (or --file) and print the filled text.",
        discussion: "Holes are written <|fill|> (default size) or <|fill:48|> (48 tokens). Text outside the holes comes back byte for byte.")

    @Option(help: "A model directory (default: the embedded default model).") var model: String?
    @Option(help: "Read the text from this file instead of stdin.") var file: String?
    @Option(help: "Marker name: holes are <|NAME|> and <|NAME:N|>.") var marker: String = "fill"
    @Option(help: "Default hole size in tokens.") var span: Int = 32
    @Option(help: "Denoising steps (1 to 1024).") var steps: Int = 16
    @Option(help: "analytic or euler.") var sampler: String = "analytic"
    @Option(help: "Seed (same seed, same fill).") var seed: UInt64?
    @Option(help: "Candidates sampled as one batch (1 to 8); the best is printed.") var n: Int = 1
    @Option(help: "line: one line per fill (sampled without line breaks when the hole is padded, else trimmed at the first newline); none: keep all.") var stop: String = "none"
    @Option(help: "The editor's language id (swift, python, typescriptreact, cpp, ...); default: from --file's extension.")
    var language: String?
    @Flag(name: .customLong("no-heal"), help: "Do not heal hole edges that fall inside a word.") var noHeal = false
    @Flag(name: .customLong("fixed-length"), help: "Each hole is its fill's exact size: the fill takes all of its tokens, none ends early as padding.")
    var fixedLength = false
    @Flag(help: "Print the JSON result instead of the text.") var json = false
    @Option(help: "Send the request to a running daemon (unix:PATH or tcp:HOST:PORT) instead of loading a model.")
    var connect: String?
    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        guard let predictor = Predictor(rawValue: sampler) else { throw CLIError("--sampler must be analytic or euler, got '\(sampler)'") }
        guard (1...1024).contains(steps) else { throw CLIError("--steps must be 1 to 1024, got \(steps)") }
        guard (1...8).contains(n) else { throw CLIError("--n must be 1 to 8, got \(n)") }
        guard (1...1024).contains(span) else { throw CLIError("--span must be 1 to 1024, got \(span)") }
        guard stop == "none" || stop == "line" else { throw CLIError("--stop must be line or none, got '\(stop)'") }
        let input: [UInt8]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("--file \(file): cannot read it") }
            input = [UInt8](data)
        } else {
            input = readStandardInput()
        }
        guard let text = String(validating: input, as: UTF8.self) else { throw CLIError("input is not valid UTF-8") }
        let holes: HoleMarkers
        do { holes = try HoleMarkers.parse(text, name: marker) } catch { throw CLIError("\(error)") }
        if let connect {
            guard model == nil else {
                throw CLIError("--connect and --model exclude each other: the daemon has its model")
            }
            try runConnected(to: connect, holes: holes)
            return
        }
        let e = try InfillEngine.load(modelDirectory: DefaultModel.resolve(model))
        let request = InfillRequest(
            segments: holes.segments, holeTokens: holes.sizes.map { $0 ?? span }, steps: steps, predictor: predictor,
            temperature: decoding.temperature, unmasking: decoding.unmasking, contextRefresh: decoding.contextRefresh, candidates: n, seed: seed ?? UInt64.random(in: 0...UInt64.max), stopAtNewline: stop == "line",
            languageID: language, fileName: file, healEdges: !noHeal, fixedLength: fixedLength)
        let result: InfillResult
        do { result = try e.infill(request) } catch let error as InfillEngineError { throw CLIError(error.description) }
        let best = result.candidates[0]
        var filled = holes.segments[0]
        for (i, fill) in best.fills.enumerated() { filled += fill + holes.segments[i + 1] }
        if json {
            let object: [String: Any] = [
                "items": result.candidates.map { ["fills": $0.fills, "score": $0.score] },
                "text": filled, "steps": steps, "sampler": sampler, "model": e.name, "language": result.language ?? NSNull(),
                "context": ["prefixTokens": result.prefixTokens, "suffixTokens": result.suffixTokens,
                            "prefixTruncated": result.prefixTruncated, "suffixTruncated": result.suffixTruncated],
                "timing": ["computeMs": result.computeMs],
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            FileHandle.standardOutput.write(Data(filled.utf8))
        }
    }

    /// `--connect`: one `sedd/infill` to a running daemon. The protocol's `length` applies to every hole,
    /// so holes of different sizes cannot go in one request.
    private func runConnected(to address: String, holes: HoleMarkers) throws {
        let sizes = Set(holes.sizes.map { $0 ?? span })
        guard sizes.count == 1, let length = sizes.first else {
            throw CLIError(
                "--connect: the holes have different sizes (\(sizes.sorted().map(String.init).joined(separator: ", ")) "
                    + "tokens), but sedd/infill takes one length for every hole; give them the same size")
        }
        var params = try InfillConnect.params(
            holes: holes, length: length, steps: steps, sampler: sampler, seed: seed, candidates: n, stop: stop)
        // The daemon's engine adds the language tag; send the editor's id, or the file's extension.
        let languageID = language ?? file.flatMap { CodeLanguages.language(fileName: $0) }
        if case .object(var fields) = params {
            if let languageID { fields["languageId"] = .string(languageID) }
            if let temperature = decoding.temperature { fields["temperature"] = .double(temperature) }
            if let unmasking = decoding.unmasking { fields["unmasking"] = .string(unmasking.rawValue) }
            if let contextRefresh = decoding.contextRefresh { fields["contextRefresh"] = .int(contextRefresh) }
            if fixedLength { fields["fixedLength"] = .bool(true) }
            params = .object(fields)
        }
        let result = try InfillConnect.run(address: address, params: params)
        if json {
            print(JSONWriter.string(result))
        } else {
            FileHandle.standardOutput.write(Data(try InfillConnect.filledText(result).utf8))
        }
    }
}
