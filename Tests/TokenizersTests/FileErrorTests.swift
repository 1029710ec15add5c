import Foundation
import Tokenizers
import XCTest

/// Bad tokenizer files give the matching `TokenizerError`, naming the file.
final class FileErrorTests: XCTestCase {
    /// A small valid byte-level vocabulary: the 256 byte tokens (id = byte) plus "Ġt" and "Ġth".
    private func smallVocabulary() -> [String: Int] {
        var vocabulary: [String: Int] = [:]
        for byte in 0..<256 { vocabulary[String(ByteLevelAlphabet.scalarForByte[byte])] = byte }
        vocabulary["Ġt"] = 256
        vocabulary["Ġth"] = 257
        return vocabulary
    }

    private func write(_ text: String, _ name: String, in directory: URL) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    private func writeVocabulary(_ vocabulary: [String: Int], in directory: URL) throws {
        try JSONSerialization.data(withJSONObject: vocabulary).write(
            to: directory.appendingPathComponent("encoder.json"))
    }

    private func loadError(_ directory: URL) -> TokenizerError? {
        do {
            _ = try GPT2Tokenizer(directory: directory)
            return nil
        } catch {
            return error
        }
    }

    func testValidSmallFilesLoad() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        try writeVocabulary(smallVocabulary(), in: directory)
        try write("#version: 0.2\nĠ t\nĠt h\n", "vocab.bpe", in: directory)
        let tokenizer = try GPT2Tokenizer(directory: directory)
        XCTAssertEqual(tokenizer.encode(" the"), [257, 101])
        XCTAssertEqual(tokenizer.specialTokens, [:])
        XCTAssertNil(tokenizer.endOfTextID)
    }

    func testMissingFiles() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        XCTAssertEqual(loadError(directory), .missingTokenizerFiles(directory: directory.path))
        try writeVocabulary(smallVocabulary(), in: directory)
        let merges = directory.appendingPathComponent("vocab.bpe")
        XCTAssertEqual(loadError(directory), .missingFile(path: merges.path))
        XCTAssertTrue(loadError(directory)!.description.contains("vocab.bpe"))

        let nowhere = directory.appendingPathComponent("nope.json")
        XCTAssertThrowsError(try GPT2Tokenizer(vocabularyFile: nowhere, mergesFile: merges)) { error in
            XCTAssertEqual(error as? TokenizerError, .missingFile(path: nowhere.path))
        }
    }

    func testBadJSON() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        try write("", "vocab.bpe", in: directory)
        let path = directory.appendingPathComponent("encoder.json").path

        try write("{\"a\": 1,", "encoder.json", in: directory)
        guard case .invalidJSON(let reported, _) = loadError(directory) else {
            return XCTFail("truncated JSON: \(String(describing: loadError(directory)))")
        }
        XCTAssertEqual(reported, path)

        try write("[1, 2]", "encoder.json", in: directory)
        XCTAssertEqual(loadError(directory), .invalidJSON(path: path, reason: "the top level is not an object"))

        try write("{\"a\": \"one\"}", "encoder.json", in: directory)
        guard case .invalidVocabularyEntry(path, "a", _) = loadError(directory) else {
            return XCTFail("string id: \(String(describing: loadError(directory)))")
        }
        try write("{\"a\": 1.5}", "encoder.json", in: directory)
        guard case .invalidVocabularyEntry(path, "a", _) = loadError(directory) else {
            return XCTFail("fractional id: \(String(describing: loadError(directory)))")
        }
        try write("{\"a\": 1, \"b\": 1}", "encoder.json", in: directory)
        guard case .invalidVocabularyEntry(path, _, let reason) = loadError(directory) else {
            return XCTFail("duplicate id: \(String(describing: loadError(directory)))")
        }
        XCTAssertTrue(reason.contains("also used"), reason)
        try write("{\"a\": 99999999999}", "encoder.json", in: directory)
        guard case .invalidVocabularyEntry(path, "a", _) = loadError(directory) else {
            return XCTFail("huge id: \(String(describing: loadError(directory)))")
        }
        try write("{\"a\": -4}", "encoder.json", in: directory)
        guard case .invalidVocabularyEntry(path, "a", _) = loadError(directory) else {
            return XCTFail("negative id: \(String(describing: loadError(directory)))")
        }
    }

    func testMissingByteToken() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        var vocabulary = smallVocabulary()
        vocabulary["Ċ"] = nil  // the newline byte
        try writeVocabulary(vocabulary, in: directory)
        try write("#version: 0.2\n", "vocab.bpe", in: directory)
        XCTAssertEqual(
            loadError(directory),
            .missingByteToken(path: directory.appendingPathComponent("encoder.json").path, byte: 10, token: "Ċ"))
    }

    func testMalformedMergeLines() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        try writeVocabulary(smallVocabulary(), in: directory)
        let path = directory.appendingPathComponent("vocab.bpe").path
        let cases: [(String, Int, String)] = [
            ("#version: 0.2\nĠ t\nĠt\n", 3, "Ġt"),
            ("#version: 0.2\nĠ t h\n", 2, "Ġ t h"),
            ("Ġ  t\n", 1, "Ġ  t"),
            ("#version: 0.2\n\n t\n", 3, " t"),
        ]
        for (text, line, shown) in cases {
            try write(text, "vocab.bpe", in: directory)
            XCTAssertEqual(loadError(directory), .malformedMerge(path: path, line: line, text: shown), escaped(text))
        }
        // A header anywhere but the first line is an ordinary merge line, here naming unknown symbols.
        try write("Ġ t\n#version: 0.2\n", "vocab.bpe", in: directory)
        XCTAssertEqual(loadError(directory), .unknownMergeSymbol(path: path, line: 2, symbol: "#version:"))
        let message = TokenizerError.malformedMerge(path: path, line: 3, text: "Ġt").description
        XCTAssertTrue(message.contains("vocab.bpe:3"), message)
    }

    func testMergeNamingUnknownSymbols() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        try writeVocabulary(smallVocabulary(), in: directory)
        let path = directory.appendingPathComponent("vocab.bpe").path
        try write("#version: 0.2\nĠ t\nĠx yz\n", "vocab.bpe", in: directory)
        XCTAssertEqual(loadError(directory), .unknownMergeSymbol(path: path, line: 3, symbol: "Ġx"))
        try write("#version: 0.2\nĠ t\nĠt hh\n", "vocab.bpe", in: directory)
        XCTAssertEqual(loadError(directory), .unknownMergeSymbol(path: path, line: 3, symbol: "hh"))
        // Both symbols known, but their concatenation is not a token.
        try write("#version: 0.2\nĠ t\nĠt e\n", "vocab.bpe", in: directory)
        XCTAssertEqual(loadError(directory), .unknownMergeSymbol(path: path, line: 3, symbol: "Ġte"))
    }

    func testSaveIntoUnwritablePlaceFails() throws {
        let directory = try Fixtures.temporaryDirectory(for: self)
        let blocker = directory.appendingPathComponent("file")
        try write("x", "file", in: directory)
        let tokenizer = try ByteTokenizer()
        XCTAssertThrowsError(try tokenizer.save(to: blocker.appendingPathComponent("sub"))) { error in
            guard case .writeFailed(let path, _) = error as? TokenizerError else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(path.hasSuffix("encoder.json"), path)
        }
    }
}
