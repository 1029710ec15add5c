import Foundation
import SEDDKernels
import SEDDModel
import SEDDTraining
import Tokenizers
import XCTest

/// The infill benchmark: deterministic spans, metrics, the conditional ELBO and the summary.
final class InfillBenchmarkTests: XCTestCase {
    func testSHA256MatchesKnownDigests() {
        func hex(_ s: String) -> String { SHA256.hash(Array(s.utf8)).map { String(format: "%02x", $0) }.joined() }
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(String(repeating: "a", count: 1000)).prefix(16), "41edece42d63e8d9")
    }

    static func sourceFile(lines: Int) -> String {
        (0..<lines).map { i in
            i % 5 == 4 ? "\n" : String(repeating: "    ", count: i % 3) + "let value\(i) = compute(value\(i - 1), factor: \(i * 7))\n"
        }.joined()
    }

    func testSpansAreDeterministicContiguousAndWithinTheLimits() throws {
        let text = Self.sourceFile(lines: 120)
        var kinds: [InfillBenchmarkCase.Kind: Int] = [:]
        var inside = 0
        for k in 0..<300 {
            let key = "swift:repo/file\(k).swift"
            let c = try XCTUnwrap(InfillBenchmarkCase.make(key: key, language: "swift", text: text))
            XCTAssertEqual(c, InfillBenchmarkCase.make(key: key, language: "swift", text: text))
            kinds[c.kind, default: 0] += 1
            let whole = c.prefix + c.span + c.suffix
            XCTAssertTrue(text.contains(whole), "prefix, span and suffix are one contiguous piece of the file")
            XCTAssertLessThanOrEqual(c.span.count, 256)
            XCTAssertLessThanOrEqual(c.prefix.count, 1500)
            XCTAssertLessThanOrEqual(c.suffix.count, 500)
            XCTAssertGreaterThanOrEqual(c.span.filter { !$0.isWhitespace }.count, 1)
            XCTAssertFalse(c.span.last!.isWhitespace, "no trailing whitespace in a span: \(c.kind) \(c.span.debugDescription)")
            XCTAssertTrue(c.prefix.isEmpty || text.hasPrefix(c.prefix) || text.contains("\n" + c.prefix), "prefix starts a line")
            XCTAssertTrue(c.suffix.isEmpty || c.suffix.hasSuffix("\n") || text.hasSuffix(c.suffix), "suffix ends a line")
            if c.kind != .restOfLine {
                XCTAssertTrue(c.prefix.isEmpty || c.prefix.last!.isWhitespace, "whole lines start after the indentation")
                XCTAssertFalse(c.insideWord)
            }
            let cut = (c.prefix.last.map { $0.isLetter || $0.isNumber } ?? false) && (c.span.first!.isLetter || c.span.first!.isNumber)
            XCTAssertEqual(c.insideWord, cut, "\(c.prefix.suffix(10))|\(c.span)")
            if c.insideWord { inside += 1 }
        }
        XCTAssertEqual(kinds.values.reduce(0, +), 300)
        XCTAssertEqual(Double(kinds[.restOfLine]!) / 300, 0.4, accuracy: 0.1)
        XCTAssertEqual(Double(kinds[.wholeLine]!) / 300, 0.3, accuracy: 0.1)
        XCTAssertEqual(Double(kinds[.lines]!) / 300, 0.3, accuracy: 0.1)
        XCTAssertGreaterThan(inside, 10, "rest-of-line cuts often fall inside a word")
        XCTAssertNil(InfillBenchmarkCase.make(key: "k", language: nil, text: "short\n  x\n"), "no line with 8 non-blank characters")
    }

    func testSelectionTakesUpToNPerLanguageIndependentOfOrder() {
        let docs = (0..<20).map { i in
            CorpusReader.Document(source: "f\(i)", text: Self.sourceFile(lines: 10), language: i % 2 == 0 ? "swift" : "go", key: "k\(i)")
        }
        let a = InfillBenchmarkCase.select(docs, perLanguage: 3)
        XCTAssertEqual(a.filter { $0.language == "swift" }.count, 3)
        XCTAssertEqual(a.filter { $0.language == "go" }.count, 3)
        XCTAssertEqual(Set(a.map(\.key)), Set(InfillBenchmarkCase.select(docs.reversed(), perLanguage: 3).map(\.key)))
    }

    func testMetrics() {
        XCTAssertTrue(FillMetrics.exactMatch("return x  \n", "return x"))
        XCTAssertFalse(FillMetrics.exactMatch(" return x", "return x"), "leading whitespace matters")
        XCTAssertEqual(FillMetrics.editSimilarity("kitten", "sitting"), 1 - 3.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(FillMetrics.editSimilarity("", ""), 1)
        XCTAssertEqual(FillMetrics.editSimilarity("abc", ""), 0)
        XCTAssertEqual(FillMetrics.editSimilarity("héllo\n", "hello"), 0.8, accuracy: 1e-12)
    }

    func testConditionalELBOOfAZeroOutputModelIsLogNPerNoisedToken() {
        // As for the whole-block ELBO: with the zero-initialised output layer every noised token
        // costs (1 - 1e-3) log N in expectation, whatever the clean context holds.
        let config = TinyModel.config(hidden: 16, blocks: 1, length: 64)
        let store = ParameterStore(table: ParameterTable(config: config))
        Initialization.initialize(store, config: config, seed: 5)
        let evaluator = ConditionalELBOEvaluator(network: SEDDNetwork(config: config, parameters: store), batch: 16)
        var rng = SeededRandom(seed: 2)
        let sequence = (0..<48).map { _ in Int32(rng.next() % 256) }
        let noised = Array(20..<30)
        let perToken = evaluator.nats(sequence: sequence, noised: noised, samples: 256, seed: 4) / Double(noised.count)
        XCTAssertEqual(perToken, 0.999 * log(256.0), accuracy: 0.35)
        XCTAssertEqual(evaluator.nats(sequence: sequence, noised: [], samples: 4, seed: 4), 0)
        let again = evaluator.nats(sequence: sequence, noised: noised, samples: 256, seed: 4) / Double(noised.count)
        XCTAssertEqual(again, perToken, "same seed, same estimate")
    }

    func testConditionalELBORewardsAModelThatKnowsTheSpan() throws {
        // A trained tiny model must find a span from its training text cheaper than a shuffled one.
        let config = TinyModel.config(hidden: 64, blocks: 2, length: 32, dropout: 0)
        let model = try TinyModel.directory(config)
        let data = try TinyModel.corpus(files: 2)
        var o = TinyModel.options(steps: 150)
        o.batch = 8
        o.seed = 0
        o.emaDecay = 0
        let out = TinyModel.temporaryDirectory("trained")
        let session = try TrainingSession(model: model, data: [data.path], out: out, options: o, resume: false)
        try session.run(shouldStop: { false }, report: { _ in }, evaluation: { _, _ in })
        let network = try ModelDirectory.load(out)
        let benchmark = InfillBenchmark(network: network, tokenizer: try ByteTokenizer(specialTokens: ["<|endoftext|>"]))
        benchmark.elboSamples = 32
        let good = InfillBenchmarkCase(
            key: "a", language: nil, kind: .restOfLine, prefix: "the cat sat on the ", span: "mat. the dog", suffix: " sat on the log. ",
            insideWord: false)
        var bad = good
        bad.span = "gdo. tmhe ta"
        let exact = try benchmark.evaluate(good) { c, _, _ in c.span }
        let miss = try benchmark.evaluate(bad) { _, _, _ in "" }
        XCTAssertTrue(exact.trueHole.exactMatch)
        XCTAssertEqual(exact.trueHole.editSimilarity, 1)
        XCTAssertFalse(miss.trueHole.exactMatch)
        XCTAssertEqual(exact.trueHole.holeTokens, 12)
        XCTAssertNil(exact.defaultHole.bitsPerByte, "no padding token: the default hole has no ELBO")
        let goodBits = try XCTUnwrap(exact.trueHole.bitsPerByte), badBits = try XCTUnwrap(miss.trueHole.bitsPerByte)
        print("conditional ELBO: known span \(goodBits), shuffled \(badBits) bits per byte")
        XCTAssertLessThan(goodBits, badBits - 0.5, "good \(goodBits) vs shuffled \(badBits) bits per byte")

        let rows = InfillBenchmark.summarize([exact, miss])
        let all = try XCTUnwrap(rows.first { $0.language == "all" && $0.hole == "true" && $0.cut == "all" })
        XCTAssertEqual(all.spans, 2)
        XCTAssertEqual(all.exactMatch, 0.5)
        XCTAssertEqual(all.bitsPerByte!, (goodBits + badBits) / 2, accuracy: 1e-9, "equal span bytes: the plain mean")
        XCTAssertNil(rows.first { $0.cut == "insideWord" }, "no span cut a word")
    }

    func testDefaultHoleIsPaddedForTheELBOAndTagged() throws {
        let specials = CodeLanguages.specialTokens(languages: ["swift"])
        let tokenizer = try ByteTokenizer(specialTokens: specials)
        var config = TinyModel.config(hidden: 16, blocks: 1, length: 64)
        config.tokens = tokenizer.vocabularySize
        let store = ParameterStore(table: ParameterTable(config: config))
        Initialization.initialize(store, config: config, seed: 5)
        let benchmark = InfillBenchmark(network: SEDDNetwork(config: config, parameters: store), tokenizer: tokenizer)
        benchmark.defaultHoleTokens = 8
        XCTAssertEqual(benchmark.extras.paddingID, 257)
        let c = InfillBenchmarkCase(key: "k", language: "swift", kind: .wholeLine, prefix: "ab\n", span: "xyz", suffix: "\ncd", insideWord: false)
        var holes: [Int] = [], sized: [Bool] = []
        let r = try benchmark.evaluate(c) { _, hole, sizedToSpan in
            holes.append(hole)
            sized.append(sizedToSpan)
            return "xyz "
        }
        XCTAssertEqual(holes, [3, 8])
        XCTAssertEqual(sized, [true, false], "the true hole is the fill's exact size, the default hole is padded")
        XCTAssertTrue(r.defaultHole.exactMatch)
        XCTAssertNotNil(r.defaultHole.bitsPerByte)
        XCTAssertGreaterThan(r.defaultHole.bitsPerByte!, r.trueHole.bitsPerByte!, "the padding's nats count")
        var long = c
        long.span = "a much longer span"
        XCTAssertNil(try benchmark.evaluate(long) { _, _, _ in "" }.defaultHole.bitsPerByte, "a span longer than the hole has no ELBO there")
    }
}
