import ArgumentParser
import Foundation
import InfillEngine
import SEDDModel
import SEDDTraining

/// `sedd eval infill`: the infill benchmark (data.md 2.2) of a model on a corpus split.
struct EvalInfill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infill",
        abstract: "Infill benchmark: exact match, edit similarity and the span's conditional ELBO, per language.",
        discussion: """
            One span per document, chosen from sha256 of its key (JSONL "key", else the path): the rest of a \
            line (40 %), a whole line (30 %) or 2-6 lines (30 %), at most 256 characters; context up to 1,500 \
            characters before and 500 after, cut at line boundaries. Each span is filled twice: with the hole \
            sized to the span's tokens (the fill takes all of them; --pad-true-hole lets it end early) and with \
            the default hole (--hole tokens, padded). Bits per byte is the \
            ELBO of the hole's content with the context clean (an upper bound, averaged over --samples times). \
            Spans whose edge cuts a word are reported apart from spans cut at a boundary.
            """)

    @Option(help: "A model directory.")
    var model: String

    @Option(parsing: .upToNextOption, help: "Files, directories or JSONL ({\"key\", \"language\", \"text\"} rows), e.g. test.jsonl.")
    var data: [String]

    @Option(help: "Spans per language.")
    var spans: Int = 300

    @Option(help: "Denoising steps per fill.")
    var steps: Int = 16

    @Option(help: "Seed of the fills and the ELBO's time draws.")
    var seed: UInt64 = 0

    @Option(help: "Time samples of the conditional ELBO per span.")
    var samples: Int = 8

    @Option(help: "The default hole an editor asks for, in tokens.")
    var hole: Int = 32

    @Option(help: "Candidates sampled per fill (1-8, one batch); the best-scored one is judged, as an editor shows it first.")
    var candidates: Int = 1

    @Flag(name: .customLong("pad-true-hole"), help: "Let fills in the true-sized hole end early with padding, as in the default hole (by default they take the whole hole: its size is the span's).")
    var padTrueHole = false

    @Option(help: "One-line fills: 'none' (default), 'line' (every fill one line, as `stop: \"line\"`), or 'editor' (one line when the text before the cursor on its line is not blank, as inline-completion clients ask mid-line).")
    var stop: String = "none"

    @Option(help: "Write every span's fills and scores to this JSONL file.")
    var details: String?

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        guard spans >= 1 else { throw CLIError("--spans must be at least 1, got \(spans)") }
        guard (1...1024).contains(steps) else { throw CLIError("--steps must be 1 to 1024, got \(steps)") }
        guard samples >= 1 else { throw CLIError("--samples must be at least 1, got \(samples)") }
        guard (1...1024).contains(hole) else { throw CLIError("--hole must be 1 to 1024, got \(hole)") }
        guard (1...8).contains(candidates) else { throw CLIError("--candidates must be 1 to 8, got \(candidates)") }
        guard ["none", "line", "editor"].contains(stop) else { throw CLIError("--stop must be 'none', 'line' or 'editor', got '\(stop)'") }
        let infill = try InfillEngine.load(modelDirectory: URL(fileURLWithPath: model))
        let read = try CorpusReader().read(data)
        for line in read.skipped { log("skipped \(line)") }
        let cases = InfillBenchmarkCase.select(read.documents, perLanguage: spans)
        log("\(cases.count) spans from \(read.documents.count) documents")
        let benchmark = InfillBenchmark(network: infill.network, tokenizer: infill.tokenizer)
        benchmark.defaultHoleTokens = hole
        benchmark.elboSamples = samples
        benchmark.seed = seed
        let fill: InfillBenchmark.Fill = { c, holeTokens, sizedToSpan in
            // The true hole in the engine's frame also holds what healing moves in from the context.
            let hole = sizedToSpan && !padTrueHole ? infill.holeTokens(holding: c.span, after: c.prefix, before: c.suffix) : holeTokens
            let request = InfillRequest(
                segments: [c.prefix, c.suffix], holeTokens: [hole], steps: steps, temperature: decoding.temperature,
                unmasking: decoding.unmasking, contextRefresh: decoding.contextRefresh, candidates: candidates,
                seed: seed ^ SHA256.prefix64("sedd-infill-fill|" + c.key),
                stopAtNewline: stop == "line" || (stop == "editor" && Self.cursorFollowsText(c.prefix)), languageID: c.language,
                fixedLength: sizedToSpan && !padTrueHole)
            do { return try infill.infill(request).candidates[0].fills[0] } catch InfillEngineError.holeTooLarge {
                return ""  // the span does not fit the model's context: a miss
            }
        }
        var results: [InfillBenchmark.CaseResult] = []
        var detailLines: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for (i, c) in cases.enumerated() {
            let r = try benchmark.evaluate(c, fill: fill)
            results.append(r)
            if details != nil { detailLines.append(String(decoding: try encoder.encode(r), as: UTF8.self)) }
            if (i + 1) % 20 == 0 { log("\(i + 1)/\(cases.count)") }
        }
        if let details {
            try (detailLines.joined(separator: "\n") + "\n").write(toFile: details, atomically: true, encoding: .utf8)
        }
        let rows = InfillBenchmark.summarize(results)
        if json {
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        print("language    hole     cut         spans  exact  edit-sim  bits/byte (spans)")
        for r in rows {
            let bits = r.bitsPerByte.map { String(format: "%9.3f", $0) } ?? "        -"
            print(
                r.language.padding(toLength: 12, withPad: " ", startingAt: 0) + r.hole.padding(toLength: 9, withPad: " ", startingAt: 0)
                    + r.cut.padding(toLength: 11, withPad: " ", startingAt: 0)
                    + String(format: "%6d %6.3f %9.3f ", r.spans, r.exactMatch, r.editSimilarity) + bits + " (\(r.elboSpans))")
        }
    }

    /// Whether the line the cursor stands on holds text before it (not only indentation).
    static func cursorFollowsText(_ prefix: String) -> Bool {
        prefix.reversed().prefix { $0 != "\n" }.contains { !$0.isWhitespace }
    }

    private func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
}
