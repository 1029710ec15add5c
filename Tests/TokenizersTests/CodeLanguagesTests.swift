import Foundation
import Tokenizers
import XCTest

/// The code vocabulary's special tokens and the editor-id / file-extension mapping onto corpus languages.
final class CodeLanguagesTests: XCTestCase {
    func testEditorIDsMapOntoCorpusLanguages() {
        let expected: [String: String] = [
            "swift": "swift", "python": "python", "go": "go", "rust": "rust", "c": "c", "cpp": "c",
            "javascript": "javascript", "javascriptreact": "javascript", "typescript": "typescript",
            "typescriptreact": "typescript", "ruby": "ruby", "perl": "perl", "TypeScriptReact": "typescript",
        ]
        for (editor, language) in expected { XCTAssertEqual(CodeLanguages.language(editorID: editor), language, editor) }
        XCTAssertNil(CodeLanguages.language(editorID: "haskell"))
        XCTAssertNil(CodeLanguages.language(editorID: ""))
    }

    func testFileNamesMapByExtension() {
        XCTAssertEqual(CodeLanguages.language(fileName: "Sources/App/main.swift"), "swift")
        XCTAssertEqual(CodeLanguages.language(fileName: "web/App.TSX"), "typescript")
        XCTAssertEqual(CodeLanguages.language(fileName: "lib/x.h"), "c")
        XCTAssertEqual(CodeLanguages.language(fileName: "x.cpp"), "c")
        XCTAssertEqual(CodeLanguages.language(fileName: "Foo.pm"), "perl")
        XCTAssertNil(CodeLanguages.language(fileName: "Makefile"))
        XCTAssertNil(CodeLanguages.language(fileName: ".swift"), "a hidden file has no extension")
        XCTAssertNil(CodeLanguages.language(fileName: "dir.swift/README"))
    }

    func testTagsRoundTripAndSpecialTokenOrder() throws {
        XCTAssertEqual(CodeLanguages.tag("swift"), "<|lang:swift|>")
        XCTAssertEqual(CodeLanguages.language(ofTag: "<|lang:go|>"), "go")
        XCTAssertNil(CodeLanguages.language(ofTag: "<|pad|>"))
        XCTAssertNil(CodeLanguages.language(ofTag: "<|lang:|>"))
        let specials = CodeLanguages.specialTokens(languages: ["swift", "c"])
        XCTAssertEqual(specials, ["<|endoftext|>", "<|pad|>", "<|lang:swift|>", "<|lang:c|>"])
        let bytes = try ByteTokenizer(specialTokens: specials)
        XCTAssertEqual(CodeLanguages.tagIDs(bytes), ["swift": 258, "c": 259])
        XCTAssertEqual(CodeLanguages.specialTokenIDs(bytes)["<|pad|>"], 257)
    }

    func testTrainedCodeVocabularyEndsWithTheSpecialTokensAndSurvivesSaving() throws {
        let languages = CodeLanguages.corpus
        let trainer = try BPETrainer(vocabularySize: 300, specialTokens: CodeLanguages.specialTokens(languages: languages))
        let text = (0..<300).map { "func f\($0 * 7919 % 1000)() {\n    return b\($0 * 104_729 % 997)\n}\n" }.joined()
        let tokenizer = try trainer.train(texts: [text])
        XCTAssertEqual(tokenizer.vocabularySize, 300)
        let first = 300 - 2 - languages.count
        XCTAssertEqual(tokenizer.endOfTextID, first)
        XCTAssertEqual(tokenizer.id(of: "<|pad|>"), first + 1)
        XCTAssertEqual(CodeLanguages.tagIDs(tokenizer)["swift"], first + 2)
        XCTAssertEqual(CodeLanguages.tagIDs(tokenizer)["rst"], 299)

        let dir = try Fixtures.temporaryDirectory(for: self)
        try tokenizer.save(to: dir)
        let loaded = try GPT2Tokenizer(directory: dir)
        XCTAssertEqual(CodeLanguages.tagIDs(loaded), CodeLanguages.tagIDs(tokenizer))
        XCTAssertEqual(loaded.encode(text), tokenizer.encode(text))
        // Tags are special: literal tag text in code stays ordinary unless asked.
        XCTAssertEqual(loaded.encode("<|lang:go|>x", allowSpecial: true).first, CodeLanguages.tagIDs(loaded)["go"])
        XCTAssertFalse(loaded.encode("<|lang:go|>x").contains(CodeLanguages.tagIDs(loaded)["go"]!))
    }
}
