import Foundation
import Tokenizers
import XCTest

final class ByteTokenizerTests: XCTestCase {
    func testBytesAreIDs() throws {
        let tokenizer = try ByteTokenizer()
        XCTAssertEqual(tokenizer.vocabularySize, 256)
        XCTAssertNil(tokenizer.endOfTextID)
        XCTAssertEqual(tokenizer.encode("a é"), [97, 32, 0xC3, 0xA9])
        XCTAssertEqual(tokenizer.id(of: "Ġ"), 32)
        XCTAssertEqual(tokenizer.token(32), "Ġ")
        XCTAssertEqual(tokenizer.tokenBytes(0xC3), [0xC3])
        XCTAssertEqual(tokenizer.decodeBytes([0xC3, 256, -1]), [0xC3])
    }

    func testRandomRoundTripWithSpecials() throws {
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|mask|>"])
        XCTAssertEqual(tokenizer.vocabularySize, 258)
        XCTAssertEqual(tokenizer.endOfTextID, 256)
        XCTAssertEqual(tokenizer.id(of: "<|mask|>"), 257)
        var generator = RoundTripTests.SeededGenerator(state: 99)
        for _ in 0..<1000 {
            let text = RoundTripTests.randomText(&generator)
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text)), text, escaped(text))
            let special = tokenizer.encode(text, allowSpecial: true)
            XCTAssertEqual(tokenizer.decode(special), text, escaped(text))
            // Byte search, not `String.contains`: a combining mark after ">" makes a different `Character`.
            let hasSpecial = Array(text.utf8).windows(ofCount: 13).contains { Array($0) == Array("<|endoftext|>".utf8) }
            XCTAssertEqual(special.contains(256), hasSpecial, escaped(text))
        }
        XCTAssertEqual(tokenizer.encode("x<|mask|><|endoftext|>", allowSpecial: true), [120, 257, 256])
        XCTAssertEqual(tokenizer.encode("<|mask|>").count, 8)
    }

    func testInvalidSpecials() {
        XCTAssertThrowsError(try ByteTokenizer(specialTokens: [""]))
        XCTAssertThrowsError(try ByteTokenizer(specialTokens: ["<a>", "<a>"]))
        XCTAssertThrowsError(try ByteTokenizer(specialTokens: ["!"]))
    }

    /// Saved as files, the byte tokenizer loads as a GPT2Tokenizer with the same ids.
    func testSavedFilesLoadAsEquivalentGPT2Tokenizer() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        let bytes = try ByteTokenizer(specialTokens: ["<|endoftext|>"])
        try bytes.save(to: directory)
        let loaded = try GPT2Tokenizer(directory: directory)
        XCTAssertEqual(loaded.vocabularySize, 257)
        XCTAssertEqual(loaded.endOfTextID, 256)
        XCTAssertEqual(loaded.mergeCount, 0)
        var generator = RoundTripTests.SeededGenerator(state: 3)
        for _ in 0..<300 {
            let text = RoundTripTests.randomText(&generator)
            XCTAssertEqual(loaded.encode(text), bytes.encode(text), escaped(text))
            XCTAssertEqual(loaded.encode(text, allowSpecial: true), bytes.encode(text, allowSpecial: true))
        }
    }
}

extension Array {
    /// All contiguous slices of `count` elements.
    func windows(ofCount count: Int) -> [ArraySlice<Element>] {
        self.count < count ? [] : (0...(self.count - count)).map { self[$0..<($0 + count)] }
    }
}
