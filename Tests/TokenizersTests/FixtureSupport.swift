import Foundation
import Tokenizers
import XCTest

/// Access to the fixtures folder and one shared GPT-2 tokenizer (loading it takes a noticeable moment).
enum Fixtures {
    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static let gpt2: GPT2Tokenizer = {
        do {
            return try GPT2Tokenizer(directory: directory)
        } catch {
            fatalError("GPT-2 fixture tokenizer failed to load: \(error)")
        }
    }()

    struct ReferenceCase: Decodable {
        var text: String
        var ids: [Int]
        var pieces: [String]?
    }

    private struct ReferenceFile: Decodable {
        var cases: [ReferenceCase]
    }

    /// Cases of `reference-encodings.json` (tiktoken) or `random-reference.json` (regex + encoder.py).
    static func referenceCases(_ name: String) throws -> [ReferenceCase] {
        try JSONDecoder().decode(ReferenceFile.self, from: Data(contentsOf: url(name))).cases
    }

    /// A fresh empty directory under the temporary directory, removed by the test case's teardown.
    static func temporaryDirectory(for test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("sedd-tokenizers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// Readable form of a string for failure messages: every scalar escaped.
func escaped(_ text: String) -> String {
    text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined()
}
