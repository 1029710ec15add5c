import Foundation
import XCTest

/// `sedd/infill` in both shapes and both framings, with the real engine: the text outside the holes comes
/// back byte for byte (non-ASCII, CRLF), every string is valid UTF-8, previews precede the answer.
final class InfillShapeTests: DaemonTestCase {
    /// Non-ASCII in 2, 3 and 4 UTF-8 bytes (the last one two UTF-16 units), CRLF line ends.
    private let prefix = "naïve café\r\n// 日本語 😀 tab\there\r\n    let x = "
    private let suffix = "\r\n}\r\nλ→ end 🎉"

    func testTextShapeKeepsPrefixAndSuffixByteForByteOverNDJSON() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .newlineDelimited)
        try stream.request(
            1, "sedd/infill", ["prefix": prefix, "suffix": suffix, "length": 12, "steps": 4, "seed": 9, "n": 3])
        let response = try stream.response(id: 1)
        assertValidUTF8(response)
        let result = try XCTUnwrap(response.result, response.text)
        let items = try XCTUnwrap(result["items"] as? [[String: Any]])
        XCTAssertFalse(items.isEmpty)
        XCTAssertLessThanOrEqual(items.count, 3)
        let scores = items.compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores, scores.sorted(by: >), "items come sorted by score")
        for item in items {
            let fills = try XCTUnwrap(item["fills"] as? [String])
            let text = try XCTUnwrap(item["text"] as? String)
            XCTAssertEqual(fills.count, 1)
            XCTAssertEqual(Array(text.utf8), Array((prefix + fills[0] + suffix).utf8))
            XCTAssertTrue(Array(text.utf8).starts(with: Array(prefix.utf8)))
            XCTAssertTrue(Array(text.utf8).reversed().starts(with: Array(suffix.utf8).reversed()))
        }
        XCTAssertEqual(result["steps"] as? Int, 4)
        XCTAssertEqual(result["model"] as? String, "tiny-bytes")
        // The engine's breakdown: at most a pass per step, the denoiser's when a mask is left, healing's
        // when an edge heals, and
        // where the compute went.
        let timing = try XCTUnwrap(result["timing"] as? [String: Any])
        XCTAssertTrue((1...6).contains(timing["forwardPasses"] as? Int ?? 0), "\(timing)")
        let stages = try XCTUnwrap(timing["stagesMs"] as? [String: Double])
        XCTAssertEqual(Set(stages.keys), ["layout", "healing", "sampling", "scoring", "decoding"])
        XCTAssertGreaterThan(stages["sampling"] ?? 0, 0)
    }

    func testDocumentShapeFillsSeveralHolesOverContentLength() throws {
        // Holes: replace "😀" (two UTF-16 units), an empty hole after "let ", and replace "end".
        let pieces = ["fn ok() {\r\n  // ", "😀", " ok\r\n  let ", "", " = 1;\r\n}\r\nthe ", "end", "\r\n"]
        let kept = [pieces[0], pieces[2], pieces[4], pieces[6]]
        var ranges: [[String: Any]] = []
        var before = ""
        for (index, piece) in pieces.enumerated() {
            if index % 2 == 1 {
                ranges.append(["start": Self.position(after: before), "end": Self.position(after: before + piece)])
            }
            before += piece
        }
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .contentLength)
        try stream.request(
            1, "sedd/infill", ["text": pieces.joined(), "ranges": ranges, "length": 5, "steps": 3, "seed": 4])
        let response = try stream.response(id: 1)
        assertValidUTF8(response)
        let items = try XCTUnwrap(response.result?["items"] as? [[String: Any]], response.text)
        let item = try XCTUnwrap(items.first)
        let fills = try XCTUnwrap(item["fills"] as? [String])
        XCTAssertEqual(fills.count, 3, "one fill per range")
        let expected = kept[0] + fills[0] + kept[1] + fills[1] + kept[2] + fills[2] + kept[3]
        XCTAssertEqual(Array((item["text"] as? String ?? "").utf8), Array(expected.utf8))
        let edits = try XCTUnwrap(item["edits"] as? [[String: Any]])
        XCTAssertEqual(edits.count, 3)
        for (index, edit) in edits.enumerated() {
            XCTAssertEqual(edit["newText"] as? String, fills[index])
            XCTAssertEqual(
                (edit["range"] as? NSDictionary), ranges[index] as NSDictionary, "edit \(index) keeps its range")
        }
    }

    func testPreviewNotificationsComeBeforeTheAnswer() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .newlineDelimited)
        try stream.request(
            7, "sedd/infill",
            [
                "text": "ab\ncd", "length": 4, "steps": 4, "seed": 2, "preview": true,
                "ranges": [
                    ["start": ["line": 0, "character": 1], "end": ["line": 0, "character": 1]],
                    ["start": ["line": 1, "character": 0], "end": ["line": 1, "character": 2]],
                ],
            ])
        let response = try stream.response(id: 7)
        XCTAssertNotNil(response.result, response.text)
        let previews = stream.seen.filter { $0.method == "sedd/preview" }
        XCTAssertFalse(previews.isEmpty, "preview: true sends sedd/preview notifications")
        var lastStep = 0
        for preview in previews {
            assertValidUTF8(preview)
            let params = try XCTUnwrap(preview.params)
            XCTAssertEqual(params["id"] as? Int, 7)
            XCTAssertEqual(params["steps"] as? Int, 4)
            let step = try XCTUnwrap(params["step"] as? Int)
            XCTAssertGreaterThan(step, lastStep, "steps increase")
            XCTAssertLessThanOrEqual(step, 4)
            lastStep = step
            XCTAssertEqual((params["fills"] as? [Any])?.count, 2, "one preview string per hole")
        }
    }

    func testInvalidParamsAreAnsweredAndNameTheField() throws {
        let daemon = try startDaemon([])
        let stream = daemon.stdio(framing: .newlineDelimited)
        try stream.request(1, "sedd/infill", ["prefix": "a", "steps": 5000])
        let tooMany = try stream.response(id: 1)
        XCTAssertEqual(tooMany.errorCode, -32602)
        XCTAssertTrue(tooMany.errorMessage?.contains("steps") ?? false, tooMany.text)
        try stream.request(2, "sedd/infill", ["text": "abc", "ranges": [["start": ["line": 9, "character": 0]]]])
        XCTAssertEqual(try stream.response(id: 2).errorCode, -32602)
        try stream.request(3, "no/such/method")
        XCTAssertEqual(try stream.response(id: 3).errorCode, -32601)
        try stream.sendRaw(Array("{not json\n".utf8))
        let parseError = try stream.next()
        XCTAssertEqual(parseError.errorCode, -32700)
        XCTAssertTrue(parseError.object["id"] is NSNull)
        try stream.request(4, "sedd/infill", DaemonTestCase.smallInfill())
        XCTAssertNotNil(try stream.response(id: 4).result, "the connection keeps serving after errors")
    }

    /// The LSP position (UTF-16) at the end of `text`.
    static func position(after text: String) -> [String: Int] {
        var line = 0
        var character = 0
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                line += 1
                character = 0
            } else {
                character += scalar.utf16.count
            }
        }
        return ["line": line, "character": character]
    }
}
