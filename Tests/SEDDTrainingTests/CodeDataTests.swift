import Foundation
import SEDDKernels
import SEDDModel
import SEDDTraining
import Tokenizers
import XCTest

/// Corpus rows with languages, code-tokenizer training and measurement, and language/infill packing.
final class CodeDataTests: XCTestCase {
    static func jsonl(_ rows: [(key: String, language: String, text: String)]) throws -> URL {
        let dir = TinyModel.temporaryDirectory("jsonl")
        let lines = try rows.map { row -> String in
            let data = try JSONSerialization.data(withJSONObject: ["key": row.key, "language": row.language, "text": row.text])
            return String(decoding: data, as: UTF8.self)
        }
        let url = dir.appendingPathComponent("train.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testReaderKeepsLanguageAndKeyFromRowsAndExtensions() throws {
        let url = try Self.jsonl([("swift:a/b.swift", "Swift", "let x = 1\n"), ("deb:py/x.py", "python", "x = 1\n")])
        let dir = url.deletingLastPathComponent()
        try "fn main() {}\n".write(to: dir.appendingPathComponent("m.rs"), atomically: true, encoding: .utf8)
        let docs = try CorpusReader().read([dir.path]).documents
        XCTAssertEqual(docs.map(\.language), ["rust", "swift", "python"])
        XCTAssertEqual(docs.map(\.key), [nil, "swift:a/b.swift", "deb:py/x.py"])
    }

    func testSampleIsDeterministicWithinBudgetAndKeepsEverythingWhenItFits() {
        let docs = (0..<50).map { CorpusReader.Document(source: "s\($0)", text: String(repeating: "x", count: 100 + $0), key: "k\($0)") }
        XCTAssertEqual(CodeTokenizerTraining.sample(docs, maxBytes: 1 << 20).map(\.source), docs.map(\.source))
        let a = CodeTokenizerTraining.sample(docs, maxBytes: 2000)
        let b = CodeTokenizerTraining.sample(docs.reversed(), maxBytes: 2000)
        XCTAssertEqual(Set(a.map(\.source)), Set(b.map(\.source)), "the sample depends only on the documents")
        let bytes = a.reduce(0) { $0 + $1.text.utf8.count }
        XCTAssertLessThanOrEqual(bytes, 2000)
        XCTAssertGreaterThan(bytes, 1800)
    }

    func testTrainedTokenizerHasSpecialIdsAndMeasuresBytesPerToken() throws {
        // Varied names (a seeded generator) so that BPE has enough distinct pairs to reach the size.
        var rng = SeededRandom(seed: 11)
        func name() -> String { String((0..<(3 + Int(rng.next() % 6))).map { _ in "abcdefghijklmnop".randomElement(using: &rng)! }) }
        let swift = (0..<150).map { _ in "    func \(name())() -> Int {\n        return \(name())\n    }\n" }.joined()
        let python = (0..<150).map { _ in "def \(name())():\n    return \(name())\n\n" }.joined()
        let docs = [
            CorpusReader.Document(source: "a", text: swift, language: "swift"),
            CorpusReader.Document(source: "b", text: python, language: "python"),
        ]
        let tokenizer = try CodeTokenizerTraining.train(documents: docs, vocabularySize: 400, languages: ["swift", "python"])
        XCTAssertEqual(tokenizer.vocabularySize, 400)
        XCTAssertEqual(tokenizer.endOfTextID, 396)
        XCTAssertEqual(CodeLanguages.tagIDs(tokenizer), ["swift": 398, "python": 399])
        let costs = CodeTokenizerTraining.measure(tokenizer, documents: docs)
        XCTAssertEqual(costs["swift"]?.bytes, swift.utf8.count)
        XCTAssertEqual(costs["swift"]?.tokens, tokenizer.encode(swift).count)
        XCTAssertEqual(costs["*"]?.tokens, tokenizer.encode(swift).count + tokenizer.encode(python).count)
        XCTAssertGreaterThan(costs["swift"]!.bytesPerToken, 2.5, "indentation and keywords must merge")
    }

    func testPackingPutsOneLanguagePerBlockBehindItsTag() {
        let packing = BlockPacking(length: 8, languageTags: ["swift": 900, "go": 901], paddingID: 902, infillFraction: 0)
        let docs: [[Int32]] = [Array(1...20), Array(101...120), Array(201...210), Array(21...30)]
        let packed = packing.pack(documents: docs, languages: ["swift", "go", nil, "swift"])
        XCTAssertEqual(packed.tokens.count, packed.blocks * 8)
        XCTAssertEqual(packed.blocksByLanguage, ["swift": 4, "go": 2, "": 1])
        let blocks = stride(from: 0, to: packed.tokens.count, by: 8).map { Array(packed.tokens[$0..<($0 + 8)]) }
        var swiftContent: [Int32] = []
        for block in blocks {
            switch block[0] {
            case 900:
                XCTAssertTrue(block.dropFirst().allSatisfy { (1...30).contains($0) }, "\(block)")
                swiftContent += block.dropFirst()
            case 901: XCTAssertTrue(block.dropFirst().allSatisfy { (101...120).contains($0) }, "\(block)")
            default: XCTAssertEqual(block, Array(201...208), "untagged documents fill whole blocks")
            }
        }
        XCTAssertEqual(swiftContent, Array(1...28), "documents of a language are cut in order")
    }

    func testInfillShapedBlocksHoldOneRunOfPaddingAfterTheMiddle() {
        let packing = BlockPacking(
            length: 32, languageTags: ["swift": 900], paddingID: 902, infillFraction: 0.5, maxHoleTokens: 8, seed: 7)
        let stream = (0..<5000).map { Int32($0 % 800) }
        let packed = packing.pack(documents: [stream], languages: ["swift"])
        XCTAssertGreaterThan(packed.infillBlocks, packed.blocks / 3)
        XCTAssertLessThan(packed.infillBlocks, packed.blocks * 2 / 3)
        var content: [Int32] = []
        var shaped = 0
        for start in stride(from: 0, to: packed.tokens.count, by: 32) {
            let block = Array(packed.tokens[start..<(start + 32)])
            XCTAssertEqual(block[0], 900)
            let pads = block.indices.filter { block[$0] == 902 }
            if let first = pads.first {
                shaped += 1
                XCTAssertEqual(pads.last! - first + 1, pads.count, "padding is one run: \(block)")
                XCTAssertLessThan(pads.count, 8, "the hole (middle + pads) is at most maxHoleTokens")
                XCTAssertGreaterThan(first, 1, "a middle of at least one token precedes the padding")
            }
            content += block.dropFirst().filter { $0 != 902 }
        }
        XCTAssertLessThanOrEqual(shaped, packed.infillBlocks)
        XCTAssertEqual(content, Array(stream.prefix(content.count)), "removing the padding gives the text back in order")
        let again = packing.pack(documents: [stream], languages: ["swift"])
        XCTAssertEqual(again.tokens, packed.tokens, "packing is deterministic")
        XCTAssertEqual(packed.holes.count, packed.infillBlocks, "every infill-shaped block records its hole")
        for (block, hole) in packed.holes {
            let tokens = Array(packed.tokens[(block * 32)..<(block * 32 + 32)])
            XCTAssertGreaterThan(hole.lowerBound, 0, "the tag stays outside the hole")
            XCTAssertLessThanOrEqual(hole.count, 8)
            let pads = tokens.indices.filter { tokens[$0] == 902 }
            for p in pads { XCTAssertTrue(hole.contains(p), "block \(block): padding at \(p) outside the hole \(hole)") }
            if !pads.isEmpty { XCTAssertEqual(pads.last! + 1, hole.upperBound, "the padding ends the hole") }
            XCTAssertNotEqual(tokens[hole.lowerBound], 902, "the hole starts with its middle")
        }
    }

    func testEditorShapedMiddlesEndAtLineEndsAndSomeHolesFitTheirFill() {
        // A line break (id 999) every 5 tokens: every hole that reaches 5 tokens has one in reach.
        let stream = (0..<20_000).map { $0 % 5 == 4 ? Int32(999) : Int32($0 % 800) }
        let packing = BlockPacking(
            length: 64, languageTags: ["swift": 900], paddingID: 902, infillFraction: 0.6, maxHoleTokens: 24, seed: 3,
            holeShape: .editor, lineBreakTokens: [999])
        let packed = packing.pack(documents: [stream], languages: ["swift"])
        XCTAssertGreaterThan(packed.infillBlocks, packed.blocks / 2)
        var content: [Int32] = []
        var endsAtBreak = 0, unpadded = 0
        for b in 0..<packed.blocks {
            let block = Array(packed.tokens[(b * 64)..<(b * 64 + 64)])
            let blockStart = content.count
            content += block.dropFirst().filter { $0 != 902 }
            guard let hole = packed.holes[b] else {
                XCTAssertFalse(block.contains(902), "a plain block has no padding")
                continue
            }
            let middle = Array(block[hole].filter { $0 != 902 })
            XCTAssertFalse(middle.isEmpty)
            if middle.count == hole.count { unpadded += 1 }
            // The token after the middle in the text (it may open the next block).
            let after = blockStart + hole.lowerBound - 1 + middle.count
            if after < stream.count && stream[after] == 999 {
                endsAtBreak += 1
            } else {
                XCTAssertFalse(middle.dropFirst().contains(999), "block \(b): a fill passes a line end it could have stopped at")
                XCTAssertLessThan(middle.count, 5, "block \(b): only a hole too short to reach a line end may stop mid-line")
            }
        }
        XCTAssertGreaterThan(Double(endsAtBreak), 0.8 * Double(packed.infillBlocks), "fills end where lines end")
        XCTAssertGreaterThan(Double(unpadded), 0.25 * Double(packed.infillBlocks), "a share of holes is sized to the fill")
        XCTAssertLessThan(unpadded, packed.infillBlocks, "the other holes are padded")
        XCTAssertEqual(content, Array(stream.prefix(content.count)), "removing the padding gives the text back in order")
        XCTAssertEqual(packing.pack(documents: [stream], languages: ["swift"]).tokens, packed.tokens, "packing is deterministic")
    }

    func testLineBreakTokensAreTheIdsWhoseTextHoldsALineFeed() throws {
        let tokenizer = try ByteTokenizer(specialTokens: CodeLanguages.specialTokens(languages: ["swift"]))
        XCTAssertEqual(ModelTokenizer.lineBreakTokens(tokenizer), [10])
    }

    func testHoleNoiseLeavesTheContextCleanAndDrawsTheSameNoise() {
        let x0 = (0..<64).map { $0 % 50 }
        let graph = AbsorbingGraph(tokens: 256)
        let noise = NoiseSchedule(config: TinyModel.config())
        var rngA = SeededRandom(seed: 5), rngB = SeededRandom(seed: 5)
        let whole = NoisedBatch(x0: x0, batch: 2, graph: graph, noise: noise, rng: &rngA)
        let holed = NoisedBatch(x0: x0, batch: 2, graph: graph, noise: noise, rng: &rngB, noisedOnly: [10..<20, nil])
        XCTAssertEqual(rngA.next(), rngB.next(), "the same number of draws either way")
        XCTAssertEqual(whole.t, holed.t)
        for i in 0..<32 {
            XCTAssertEqual(holed.xt[i], (10..<20).contains(i) ? whole.xt[i] : x0[i], "position \(i) of the holed row")
        }
        XCTAssertEqual(Array(holed.xt[32...]), Array(whole.xt[32...]), "a row without a hole is noised whole")
    }

    func testTrainingSessionPacksByLanguageAndRecordsTheIdsInConfig() throws {
        let specials = CodeLanguages.specialTokens(languages: ["swift", "python"])
        let tokenizer = try ByteTokenizer(specialTokens: specials)
        var config = TinyModel.config(hidden: 16, blocks: 1, length: 32)
        config.tokens = tokenizer.vocabularySize
        config.extras = SEDDExtras(tokenizer: "bytes")
        let model = try TinyModel.directory(config)
        try tokenizer.save(to: model)
        let data = try Self.jsonl([
            ("s1", "swift", String(repeating: "let a = 1\n", count: 30)),
            ("p1", "python", String(repeating: "a = 1\n", count: 30)),
        ])
        var o = TrainingOptions()
        o.steps = 2
        o.batch = 2
        o.length = 32
        o.validationFraction = 0
        o.infillFraction = 0.5
        let out = TinyModel.temporaryDirectory("out")
        let session = try TrainingSession(model: model, data: [data.path], out: out, options: o, resume: false)
        XCTAssertEqual(session.packing?.languageTags, ["swift": 258, "python": 259])
        XCTAssertEqual(session.packing?.paddingID, 257)
        let tokens = session.corpus.trainTokens
        XCTAssertEqual(tokens.count % 32, 0)
        for start in stride(from: 0, to: tokens.count, by: 32) { XCTAssertTrue([258, 259].contains(tokens[start])) }
        try session.run(shouldStop: { false }, report: { _ in }, evaluation: { _, _ in })
        let saved = try SEDDConfig.load(from: out.appendingPathComponent("config.json"))
        XCTAssertEqual(saved.extras.languageTags, ["swift": 258, "python": 259])
        XCTAssertEqual(saved.extras.paddingID, 257)
        XCTAssertEqual(saved.extras.endOfTextID, 256)

        o.infillFraction = 1.5
        XCTAssertThrowsError(try TrainingSession(model: model, data: [data.path], out: TinyModel.temporaryDirectory("o"), options: o, resume: false)) {
            XCTAssertTrue("\($0)".contains("--infill-fraction"), "\($0)")
        }
    }
}
