import XCTest

@testable import InfillProtocol

final class JSONParserTests: XCTestCase {
    func testParsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}} "#)
        XCTAssertEqual(value["a"]?.arrayValue?.count, 5)
        XCTAssertEqual(value["a"]?.arrayValue?[0].numberValue?.intValue, 1)
        XCTAssertEqual(value["a"]?.arrayValue?[1].numberValue?.doubleValue, -2500)
        XCTAssertEqual(value["a"]?.arrayValue?[2], .bool(true))
        XCTAssertEqual(value["a"]?.arrayValue?[4], .null)
        XCTAssertEqual(value["b"]?["c"], .string("d"))
    }

    func testKeepsLargeIntegersExactly() throws {
        let value = try JSONParser.parse("18446744073709551615")
        XCTAssertEqual(value.numberValue?.uint64Value, UInt64.max)
        XCTAssertEqual(JSONWriter.string(value), "18446744073709551615")
    }

    func testDecodesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#""a\"b\\c\/\n\t\u00e9\ud83d\ude00""#)
        XCTAssertEqual(value, .string("a\"b\\c/\n\té😀"))
    }

    func testKeepsRawNonASCIIBytesUnchanged() throws {
        let text = "日本語 e\u{301} 👩‍💻"
        let value = try JSONParser.parse(Array("\"\(text)\"".utf8))
        XCTAssertEqual(value.stringValue.map { Array($0.utf8) }, Array(text.utf8))
    }

    func testRejectsMalformedJSONWithAnOffset() {
        let cases: [(String, Int)] = [
            ("", 0), ("{", 1), ("[1,]", 3), ("{\"a\" 1}", 5), ("01", 1), ("1.", 2), ("-", 1), ("tru", 0),
            ("\"abc", 4), ("{} x", 3), ("[1 2]", 3), ("\"\\x\"", 2), ("\"\\u12G4\"", 5), ("{1: 2}", 1),
        ]
        for (text, offset) in cases {
            XCTAssertThrowsError(try JSONParser.parse(text), text) { error in
                guard case InfillProtocolError.invalidJSON(let found, _) = error else {
                    return XCTFail("\(text): expected invalidJSON, got \(error)")
                }
                XCTAssertEqual(found, offset, text)
            }
        }
    }

    func testRejectsInvalidUTF8InStrings() {
        let cases: [[UInt8]] = [
            [0x22, 0xC3, 0x22],  // truncated two-byte sequence
            [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8 encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xFF, 0x22],
            [0x22, 0x80, 0x22],  // stray continuation byte
        ]
        for bytes in cases {
            XCTAssertThrowsError(try JSONParser.parse(bytes)) { error in
                XCTAssertEqual(error as? InfillProtocolError, .invalidUTF8(offset: 1), "\(bytes)")
            }
        }
    }

    func testRejectsLoneSurrogateEscapesAndRawControlCharacters() {
        for text in [#""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#, "\"a\u{01}b\""] {
            XCTAssertThrowsError(try JSONParser.parse(text), text)
        }
    }

    func testBoundsNestingDepth() {
        let deep =
            String(repeating: "[", count: JSONParser.maximumDepth + 1)
            + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        XCTAssertThrowsError(try JSONParser.parse(deep))
        let fine =
            String(repeating: "[", count: JSONParser.maximumDepth)
            + String(repeating: "]", count: JSONParser.maximumDepth)
        XCTAssertNoThrow(try JSONParser.parse(fine))
    }

    func testWriterRoundTripsAndEscapesLineSeparators() throws {
        let value: JSONValue = ["b": [1, 2.5, "x\u{2028}y\u{2029}\n\u{0}\""], "a": .null, "c": true]
        let text = JSONWriter.string(value)
        XCTAssertEqual(text, #"{"a":null,"b":[1,2.5,"x\u2028y\u2029\n\u0000\""],"c":true}"#)
        XCTAssertEqual(try JSONParser.parse(text), value)
    }

    func testDoubleFormattingIsValidJSON() throws {
        for number in [0.1, -0.84, 1e-7, 83.1, 1e21, 3.0] {
            let text = JSONWriter.string(.double(number))
            XCTAssertEqual(try JSONParser.parse(text).numberValue?.doubleValue, number, text)
        }
        XCTAssertEqual(JSONValue.double(.nan), .null)
    }
}
