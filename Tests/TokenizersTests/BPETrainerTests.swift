import Foundation
import Tokenizers
import XCTest

final class BPETrainerTests: XCTestCase {
    /// Pseudo-English prose and code lines from a seeded generator: repetitive enough for BPE to learn.
    static func corpus(seed: UInt64, lines: Int) -> [String] {
        let words = [
            "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "with", "was", "on", "be", "by",
            "function", "return", "value", "index", "string", "number", "token", "model", "diffusion", "score",
            "entropy", "sample", "noise", "sigma", "editor", "buffer", "cursor", "completion", "request", "don't",
            "we'll", "café", "naïve", "日本語", "Straße",
        ]
        var generator = RoundTripTests.SeededGenerator(state: seed)
        return (0..<lines).map { _ in
            if Int.random(in: 0..<3, using: &generator) == 0 {
                let name = words.randomElement(using: &generator)!
                return "    let \(name)\(Int.random(in: 0..<10, using: &generator)) = \(name)(x: 42)\n"
            }
            let count = Int.random(in: 3...12, using: &generator)
            // Zipf-like: earlier words are much more frequent.
            let chosen = (0..<count).map { _ in
                words[
                    min(
                        words.count - 1,
                        Int(Double(words.count) * pow(Double.random(in: 0..<1, using: &generator), 2.5)))]
            }
            return chosen.joined(separator: " ").capitalized + ".\n"
        }
    }

    func testHandCheckedMerges() throws {
        let trainer = try BPETrainer(vocabularySize: 256 + 2 + 1, specialTokens: ["<|endoftext|>"])
        let tokenizer = try trainer.train(texts: ["ab ab ab cd"])
        XCTAssertEqual(tokenizer.merges.map { [$0.0, $0.1] }, [["a", "b"], ["Ġ", "ab"]])
        XCTAssertEqual(tokenizer.vocabularySize, 259)
        XCTAssertEqual(tokenizer.id(of: "!"), 0)
        XCTAssertEqual(tokenizer.id(of: "ab"), 256)
        XCTAssertEqual(tokenizer.id(of: "Ġab"), 257)
        XCTAssertEqual(tokenizer.endOfTextID, 258)
        XCTAssertEqual(tokenizer.encode("ab ab"), [256, 257])
    }

    func testTrainedTokenizerCompressesHeldOutTextAndRoundTrips() throws {
        let trainer = try BPETrainer(vocabularySize: 256 + 200 + 2, specialTokens: ["<|endoftext|>", "<|mask|>"])
        let tokenizer = try trainer.train(texts: Self.corpus(seed: 1, lines: 3000))
        XCTAssertEqual(tokenizer.vocabularySize, 458)
        XCTAssertEqual(tokenizer.specialTokens, ["<|endoftext|>": 456, "<|mask|>": 457])
        XCTAssertEqual(tokenizer.endOfTextID, 456)

        let heldOut = Self.corpus(seed: 2, lines: 300).joined()
        let ids = tokenizer.encode(heldOut)
        XCTAssertEqual(tokenizer.decode(ids), heldOut)
        let ratio = Double(ids.count) / Double(heldOut.utf8.count)
        XCTAssertLessThan(ratio, 0.5, "tokens per byte on held-out text")

        var generator = RoundTripTests.SeededGenerator(state: 5)
        for _ in 0..<500 {
            let text = RoundTripTests.randomText(&generator)
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text)), text, escaped(text))
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text, allowSpecial: true)), text, escaped(text))
        }
        XCTAssertEqual(tokenizer.encode("a<|mask|>", allowSpecial: true).last, 457)
    }

    func testSaveAndReloadGivesSameTokenizer() throws {
        let trainer = try BPETrainer(vocabularySize: 256 + 200 + 1)
        let tokenizer = try trainer.train(texts: Self.corpus(seed: 3, lines: 1000))
        let directory = try Fixtures.temporaryDirectory(for: self)
        try tokenizer.save(to: directory)
        let reloaded = try GPT2Tokenizer(directory: directory)
        XCTAssertEqual(reloaded.vocabularySize, tokenizer.vocabularySize)
        XCTAssertEqual(reloaded.merges.map { [$0.0, $0.1] }, tokenizer.merges.map { [$0.0, $0.1] })
        XCTAssertEqual(reloaded.specialTokens, tokenizer.specialTokens)
        let text = Self.corpus(seed: 4, lines: 200).joined()
        XCTAssertEqual(reloaded.encode(text), tokenizer.encode(text))
        let header = try String(contentsOf: directory.appendingPathComponent("vocab.bpe"), encoding: .utf8)
        XCTAssertTrue(header.hasPrefix("#version: 0.2\n"))
    }

    func testTrainingIsDeterministic() throws {
        let trainer = try BPETrainer(vocabularySize: 256 + 150 + 1)
        let texts = Self.corpus(seed: 9, lines: 500)
        let first = try trainer.train(texts: texts)
        let second = try trainer.train(texts: texts.reversed())
        XCTAssertEqual(first.merges.map { [$0.0, $0.1] }, second.merges.map { [$0.0, $0.1] })
    }

    func testStopsWhenPairsRunOut() throws {
        let tokenizer = try BPETrainer(vocabularySize: 1000, specialTokens: [], minimumPairFrequency: 2)
            .train(texts: ["abc abc"])
        // "abc" twice and " abc" once: only pairs inside "abc" reach two occurrences.
        XCTAssertEqual(tokenizer.merges.map { [$0.0, $0.1] }, [["a", "b"], ["ab", "c"]])
        XCTAssertEqual(tokenizer.vocabularySize, 258)
    }

    func testInvalidArguments() {
        XCTAssertThrowsError(try BPETrainer(vocabularySize: 256, specialTokens: ["<|endoftext|>"]))
        XCTAssertThrowsError(try BPETrainer(vocabularySize: 300, minimumPairFrequency: 0))
        XCTAssertThrowsError(try BPETrainer(vocabularySize: 300, specialTokens: ["<a>", "<a>"]))
        // Special tokens are cut out of the texts before counting, so "Ġab" (not " ab") is never seen as text,
        // but it is the spelling of the token learned for " ab".
        XCTAssertThrowsError(try BPETrainer(vocabularySize: 300, specialTokens: ["Ġab"]).train(texts: ["ab ab ab"])) {
            error in
            guard case .invalidArgument(let name, _) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "specialTokens[0]")
        }
    }
}
