import Foundation
import Tokenizers
import XCTest

/// GPT-2 ids must match OpenAI's encoder exactly.
final class GPT2ReferenceTests: XCTestCase {
    func testVocabularyShape() {
        let tokenizer = Fixtures.gpt2
        XCTAssertEqual(tokenizer.vocabularySize, 50257)
        XCTAssertEqual(tokenizer.mergeCount, 50000)
        XCTAssertEqual(tokenizer.endOfTextID, 50256)
        XCTAssertEqual(tokenizer.specialTokens, ["<|endoftext|>": 50256])
        XCTAssertEqual(tokenizer.id(of: "Ġworld"), 995)
        XCTAssertEqual(tokenizer.token(995), "Ġworld")
        XCTAssertNil(tokenizer.token(50257))
        XCTAssertEqual(tokenizer.tokenBytes(995), Array(" world".utf8))
        XCTAssertEqual(tokenizer.tokenBytes(50256), Array("<|endoftext|>".utf8))
        XCTAssertEqual(tokenizer.tokenBytes(-1), [])
    }

    /// The 50 cases made with tiktoken from the same two files.
    func testTiktokenReferenceEncodings() throws {
        let cases = try Fixtures.referenceCases("reference-encodings.json")
        XCTAssertEqual(cases.count, 50)
        for reference in cases {
            XCTAssertEqual(Fixtures.gpt2.encode(reference.text), reference.ids, "text \"\(escaped(reference.text))\"")
        }
    }

    /// 600 random strings and 12 long single words: pieces from Python `regex` running GPT-2's pattern,
    /// ids from a port of OpenAI's encoder.py (see Fixtures/make_random_reference.py).
    func testRandomReferenceEncodings() throws {
        let cases = try Fixtures.referenceCases("random-reference.json")
        XCTAssertEqual(cases.count, 612)
        var failures = 0
        for reference in cases {
            let text = escaped(reference.text)
            XCTAssertEqual(GPT2PreTokenizer.split(reference.text), reference.pieces, "pieces of \"\(text)\"")
            let ids = Fixtures.gpt2.encode(reference.text)
            if ids != reference.ids {
                failures += 1
                XCTAssertEqual(ids, reference.ids, "ids of \"\(text)\"")
            }
        }
        XCTAssertEqual(failures, 0)
    }

    func testPreTokenizerEdgeCases() {
        let expectations: [(String, [String])] = [
            ("", []),
            ("a  b", ["a", " ", " b"]),
            ("a \n b", ["a", " \n", " b"]),
            ("\n\nx", ["\n", "\n", "x"]),
            ("x   ", ["x", "   "]),
            ("don't 'S 'll'", ["don", "'t", " '", "S", " '", "ll", "'"]),
            ("\r\n", ["\r\n"]),
            ("e\u{301}", ["e", "\u{301}"]),
            ("1x2", ["1", "x", "2"]),
            ("  !!", [" ", " !!"]),
            ("\t x", ["\t", " x"]),
        ]
        for (text, pieces) in expectations {
            XCTAssertEqual(GPT2PreTokenizer.split(text), pieces, "text \"\(escaped(text))\"")
        }
    }

    func testSpecialTokenOnlyWhenAllowed() {
        let tokenizer = Fixtures.gpt2
        let text = "a<|endoftext|>b <|endoftext|>"
        let special = tokenizer.encode(text, allowSpecial: true)
        XCTAssertEqual(special, [64, 50256, 65, 220, 50256])
        let ordinary = tokenizer.encode(text)
        XCTAssertFalse(ordinary.contains(50256))
        XCTAssertEqual(ordinary, tokenizer.encode(text, allowSpecial: false))
        XCTAssertEqual(tokenizer.decode(special), text)
        XCTAssertEqual(tokenizer.decode(ordinary), text)
    }

    /// Saving GPT-2 writes OpenAI's two files byte for byte.
    func testSaveReproducesOriginalFiles() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        try Fixtures.gpt2.save(to: directory)
        for name in ["encoder.json", "vocab.bpe"] {
            let written = try Data(contentsOf: directory.appendingPathComponent(name))
            let original = try Data(contentsOf: Fixtures.url(name))
            XCTAssertEqual(written, original, name)
        }
    }

    /// Hugging Face's vocab.json (JSON re-serialised differently) + merges.txt (CRLF line ends here) give
    /// the same tokenizer.
    func testHuggingFaceFilesGiveSameIDs() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        let encoder = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("encoder.json")))
        try JSONSerialization.data(withJSONObject: encoder, options: [.prettyPrinted, .sortedKeys])
            .write(to: directory.appendingPathComponent("vocab.json"))
        let merges = try String(contentsOf: Fixtures.url("vocab.bpe"), encoding: .utf8)
        try Data(merges.replacingOccurrences(of: "\n", with: "\r\n").utf8)
            .write(to: directory.appendingPathComponent("merges.txt"))

        let huggingFace = try GPT2Tokenizer(directory: directory)
        XCTAssertEqual(huggingFace.vocabularySize, 50257)
        XCTAssertEqual(huggingFace.mergeCount, 50000)
        for reference in try Fixtures.referenceCases("reference-encodings.json") {
            XCTAssertEqual(huggingFace.encode(reference.text), reference.ids, "text \"\(escaped(reference.text))\"")
        }
        let explicit = try GPT2Tokenizer(
            vocabularyFile: directory.appendingPathComponent("vocab.json"),
            mergesFile: directory.appendingPathComponent("merges.txt"))
        XCTAssertEqual(explicit.encode("Hello, world!"), [15496, 11, 995, 0])
    }

    /// Long runs exercise many merge rounds; ids must still decode to the input.
    func testLongWords() {
        let tokenizer = Fixtures.gpt2
        for text in [String(repeating: "=", count: 5000), String(repeating: "abcdefghij", count: 300)] {
            let ids = tokenizer.encode(text)
            XCTAssertLessThan(ids.count, text.utf8.count / 2)
            XCTAssertEqual(tokenizer.decode(ids), text)
        }
        XCTAssertEqual(tokenizer.encode(String(repeating: "=", count: 32)), [10052])
    }
}
