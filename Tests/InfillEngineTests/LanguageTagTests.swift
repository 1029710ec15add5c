import Foundation
@testable import InfillEngine
import SEDDModel
import Tokenizers
import XCTest

/// The engine tells the model the language: the tag at position 0, from the editor's id or the file name.
final class LanguageTagTests: XCTestCase {
    func testTagComesFromTheEditorIdThenTheFileName() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let engine = InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
        let tags = CodeLanguages.tagIDs(tokenizer)
        XCTAssertEqual(engine.languageTags, tags, "tags come from the tokenizer when the config has none")
        func request(_ id: String?, _ file: String?) -> InfillRequest {
            InfillRequest(segments: ["x = ", "\n"], holeTokens: [4], languageID: id, fileName: file, healEdges: false)
        }
        XCTAssertEqual(engine.language(of: request("swift", nil)), "swift")
        XCTAssertEqual(engine.language(of: request("python", "a.swift")), "python", "the editor's id wins")
        XCTAssertEqual(engine.language(of: request("haskell", "Sources/a.swift")), "swift", "unknown id: the file decides")
        XCTAssertEqual(engine.language(of: request(nil, "a.py")), "python")
        XCTAssertNil(engine.language(of: request("cpp", "a.cpp")), "c has no tag in this model")
        XCTAssertNil(engine.language(of: request(nil, nil)))

        let tagged = try engine.prepare(request(nil, "main.py"))
        XCTAssertEqual(tagged.window.tokens[0], tags["python"])
        XCTAssertEqual(tagged.language, "python")
        let plain = try engine.prepare(request(nil, nil))
        XCTAssertEqual(Array(tagged.window.tokens.dropFirst()), plain.window.tokens, "the tag is added in front of the same window")
        XCTAssertEqual(tagged.window.holeRanges.map(\.lowerBound), plain.window.holeRanges.map { $0.lowerBound + 1 })

        let result = try engine.infill(request("typescriptreact", "main.py"))
        XCTAssertEqual(result.language, "python")
    }

    func testConfigTagsWinAndTheWindowLeavesRoomForTheTag() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let swiftTag = CodeLanguages.tagIDs(tokenizer)["swift"]!
        let network = TinyCodeModel.engineParts(
            tokenizer: tokenizer, extras: SEDDExtras(tokenizer: "gpt2", languageTags: ["rust": swiftTag]))
        let engine = InfillEngine(network: network, tokenizer: tokenizer, name: "t")
        XCTAssertEqual(engine.languageTags, ["rust": swiftTag])
        let long = String(repeating: "let foo1 = bar(1)\n", count: 40)
        let prepared = try engine.prepare(
            InfillRequest(segments: [long, long], holeTokens: [8], languageID: "rust", healEdges: false))
        XCTAssertEqual(prepared.window.tokens.count, 64, "tag + window fill the model's context exactly")
        XCTAssertEqual(prepared.window.tokens[0], swiftTag)
        XCTAssertEqual(prepared.window.holeRanges[0].count, 8)
    }

    func testPaddingAndOtherSpecialTokensAreStrippedFromFills() throws {
        let tokenizer = try TinyCodeModel.tokenizer()
        let engine = InfillEngine(network: TinyCodeModel.engineParts(tokenizer: tokenizer), tokenizer: tokenizer, name: "t")
        let pad = try XCTUnwrap(tokenizer.id(of: "<|pad|>"))
        XCTAssertEqual(engine.paddingID, pad)
        let ids = tokenizer.encode("return x")
        XCTAssertEqual(engine.decodeFill(ids + [pad, pad, pad]), "return x")
        let tag = try XCTUnwrap(CodeLanguages.tagIDs(tokenizer)["python"]), eot = try XCTUnwrap(tokenizer.endOfTextID)
        XCTAssertEqual(engine.decodeFill([tag] + ids + [eot, pad]), "return x", "special tokens are never text")
    }
}
