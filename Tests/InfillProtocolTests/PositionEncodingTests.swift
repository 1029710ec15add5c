import XCTest

@testable import InfillProtocol

final class PositionEncodingTests: XCTestCase {
    // Line 0: "a😀b" (😀 is 4 UTF-8 bytes, 2 UTF-16 units, 1 scalar)
    // Line 1: "日本x" (3 bytes each, 1 UTF-16 unit each)
    // Line 2: "e\u{301}z" (e + combining acute: 1 + 2 bytes, 2 scalars)
    // Line 3: "" after a CRLF, Line 4: "end" after a lone CR
    private let text = "a😀b\n日本x\ne\u{301}z\r\n\rend"
    private var bytes: [UInt8] { Array(text.utf8) }

    private func offset(_ line: Int, _ character: Int, _ encoding: PositionEncoding) throws -> Int {
        try LineTable(bytes).byteOffset(
            of: Position(line: line, character: character), in: bytes, encoding: encoding,
            field: "position")
    }

    func testLineTableHandlesAllThreeTerminators() {
        let table = LineTable(bytes)
        XCTAssertEqual(table.lineCount, 5)
        XCTAssertEqual(table.lineStarts, [0, 7, 15, 21, 22])
    }

    func testEmojiInEachEncoding() throws {
        // After the emoji: utf-16 column 3, utf-8 column 5, utf-32 column 2 -> byte 5.
        XCTAssertEqual(try offset(0, 3, .utf16), 5)
        XCTAssertEqual(try offset(0, 5, .utf8), 5)
        XCTAssertEqual(try offset(0, 2, .utf32), 5)
    }

    func testCJKInEachEncoding() throws {
        XCTAssertEqual(try offset(1, 2, .utf16), 13)
        XCTAssertEqual(try offset(1, 6, .utf8), 13)
        XCTAssertEqual(try offset(1, 2, .utf32), 13)
    }

    func testCombiningMarksCountAsTheirOwnScalars() throws {
        XCTAssertEqual(try offset(2, 1, .utf16), 16, "between e and its combining mark")
        XCTAssertEqual(try offset(2, 2, .utf16), 18)
        XCTAssertEqual(try offset(2, 2, .utf32), 18)
        XCTAssertEqual(try offset(2, 3, .utf8), 18)
    }

    func testPositionsInsideACharacterSnapToItsStart() throws {
        XCTAssertEqual(try offset(0, 2, .utf16), 1, "middle of the surrogate pair")
        XCTAssertEqual(try offset(0, 3, .utf8), 1, "middle of the UTF-8 sequence")
        XCTAssertEqual(try offset(1, 4, .utf8), 10)
    }

    func testCharacterPastTheEndOfALineMeansItsEnd() throws {
        XCTAssertEqual(try offset(0, 99, .utf16), 6, "before the \\n")
        XCTAssertEqual(try offset(2, 99, .utf16), 19, "before the \\r\\n")
        XCTAssertEqual(try offset(3, 5, .utf16), 21, "empty line before a lone \\r")
        XCTAssertEqual(try offset(4, 99, .utf32), bytes.count)
    }

    func testLinePastTheEndIsAnErrorNamingTheField() {
        XCTAssertThrowsError(try offset(5, 0, .utf16)) { error in
            guard case InfillProtocolError.positionOutOfRange(let field, let detail) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(field, "position")
            XCTAssertTrue(detail.contains("0...4"), detail)
        }
    }

    func testByteOffsetsRoundTripThroughPositions() throws {
        let table = LineTable(bytes)
        var boundaries: [Int] = []
        var index = 0
        while index <= bytes.count {
            boundaries.append(index)
            if index == bytes.count { break }
            index += UTF8Validation.lengthOfValidScalar(lead: bytes[index])
        }
        for encoding in PositionEncoding.allCases {
            for boundary in boundaries {
                let position = table.position(ofByteOffset: boundary, in: bytes, encoding: encoding)
                let back = try table.byteOffset(of: position, in: bytes, encoding: encoding, field: "p")
                // Offsets inside a line terminator map to the end of the line's content.
                let isInsideTerminator = boundary == 20
                XCTAssertEqual(back, isInsideTerminator ? 19 : boundary, "\(encoding) \(boundary)")
            }
        }
    }

    func testMatchesSwiftsOwnUTF16Counting() throws {
        let line = "x👩‍💻y漢e\u{301}!"
        let lineBytes = Array(line.utf8)
        let table = LineTable(lineBytes)
        for index in line.unicodeScalars.indices {
            let utf16Column = line.utf16.distance(from: line.startIndex, to: index)
            let utf8Offset = line.utf8.distance(from: line.startIndex, to: index)
            let found = try table.byteOffset(
                of: Position(line: 0, character: utf16Column), in: lineBytes,
                encoding: .utf16, field: "p")
            XCTAssertEqual(found, utf8Offset)
        }
    }

    func testNegotiationPrefersTheClientsOrderAndFallsBackToUTF16() {
        XCTAssertEqual(PositionEncoding.negotiate(clientOffers: ["utf-8", "utf-16"]), .utf8)
        XCTAssertEqual(PositionEncoding.negotiate(clientOffers: ["utf-32"]), .utf32)
        XCTAssertEqual(PositionEncoding.negotiate(clientOffers: ["latin-1"]), .utf16)
        XCTAssertEqual(PositionEncoding.negotiate(clientOffers: []), .utf16)
    }

    func testRangeRejectsEndBeforeStart() {
        let json: JSONValue = ["start": ["line": 2, "character": 0], "end": ["line": 1, "character": 0]]
        XCTAssertThrowsError(try Range(json: json, path: "ranges[0]")) { error in
            XCTAssertTrue("\(error)".hasPrefix("ranges[0]:"), "\(error)")
        }
        XCTAssertThrowsError(try Position(json: ["line": -1, "character": 0], path: "position")) { error in
            XCTAssertEqual("\(error)", "position.line: expected an integer 0...2147483647, got -1")
        }
    }
}
