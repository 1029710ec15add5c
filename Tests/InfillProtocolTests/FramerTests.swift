import XCTest

@testable import InfillProtocol

final class FramerTests: XCTestCase {
    private func lsp(_ body: String, extraHeaders: String = "") -> [UInt8] {
        Array("Content-Length: \(body.utf8.count)\r\n\(extraHeaders)\r\n\(body)".utf8)
    }

    /// Feeds `input` in the given chunk sizes and returns every event, then the events of `finish()`.
    private func events(_ input: [UInt8], chunks: [Int]? = nil, limit: Int = 1 << 20, finish: Bool = false)
        -> [FramerEvent]
    {
        var framer = MessageFramer(maxMessageBytes: limit)
        var result: [FramerEvent] = []
        var offset = 0
        var sizes = (chunks ?? [input.count]).makeIterator()
        while offset < input.count {
            let size = min(max(1, sizes.next() ?? 1), input.count - offset)
            result += framer.feed(Array(input[offset..<offset + size]))
            offset += size
        }
        if finish { result += framer.finish() }
        return result
    }

    private func randomChunks(count: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Int.random(in: 1...17, using: &generator) }
    }

    private func messages(_ events: [FramerEvent]) -> [String] {
        events.compactMap { event in
            if case .message(let body) = event { return String(decoding: body, as: UTF8.self) }
            return nil
        }
    }

    private let bodies = [#"{"a":1}"#, #"{"text":"日本 😀 Content-Length: 3\r\n"}"#, "[]", #"{"b":"\n"}"#]

    func testContentLengthFramingAnyChunking() {
        let input = bodies.flatMap { lsp($0, extraHeaders: "Content-Type: application/vim-jsonrpc; charset=utf-8\r\n") }
        let whole = events(input)
        XCTAssertEqual(messages(whole), bodies)
        XCTAssertEqual(events(input, chunks: Array(repeating: 1, count: input.count)), whole)
        for seed in 1...20 {
            XCTAssertEqual(events(input, chunks: randomChunks(count: input.count, seed: UInt64(seed))), whole)
        }
    }

    func testNewlineDelimitedFramingAnyChunking() {
        let input = Array("{\"a\":1}\n\r\n[1,2]\r\n  \n{\"b\":\"x\"}\n".utf8)
        let whole = events(input)
        XCTAssertEqual(messages(whole), [#"{"a":1}"#, "[1,2]", #"{"b":"x"}"#])
        XCTAssertEqual(events(input, chunks: Array(repeating: 1, count: input.count)), whole)
        for seed in 1...20 {
            XCTAssertEqual(events(input, chunks: randomChunks(count: input.count, seed: UInt64(seed))), whole)
        }
    }

    func testDetectsFramingAfterWhitespaceAndByteOrderMark() {
        var framer = MessageFramer(maxMessageBytes: 100)
        XCTAssertEqual(framer.feed([0xEF, 0xBB, 0xBF, 0x20, 0x0A]), [])
        XCTAssertNil(framer.framing)
        _ = framer.feed(Array("content-length: 2\r\n\r\n{}".utf8))
        XCTAssertEqual(framer.framing, .contentLength)
        var lines = MessageFramer(maxMessageBytes: 100)
        XCTAssertEqual(lines.feed(Array("\n\t[".utf8)), [])
        XCTAssertEqual(lines.framing, .newlineDelimited)
    }

    func testUndetectableGarbageIsSkippedToTheNextLine() {
        let result = events(Array("hello there\n{\"a\":1}\n".utf8))
        XCTAssertEqual(result.count, 2)
        guard case .error(_, let fatal) = result[0] else { return XCTFail("expected an error first") }
        XCTAssertFalse(fatal)
        XCTAssertEqual(messages(result), [#"{"a":1}"#])
    }

    func testToleratesBareLineFeedsAndBlankLinesBetweenLSPMessages() {
        let input = Array("Content-Length: 2\n\n{}\r\n\r\nContent-Length: 2\r\n\r\n[]".utf8)
        XCTAssertEqual(messages(events(input)), ["{}", "[]"])
    }

    func testHeaderWithoutContentLengthResynchronises() {
        let input = Array("Content-Type: x\r\n\r\n{\"lost\":1}".utf8) + lsp(#"{"ok":1}"#)
        for chunks in [nil, Array(repeating: 1, count: input.count)] {
            let result = events(input, chunks: chunks)
            XCTAssertEqual(result.count, 2)
            guard case .error(.framing, false) = result[0] else {
                return XCTFail("expected a framing error: \(result)")
            }
            XCTAssertEqual(messages(result), [#"{"ok":1}"#])
        }
    }

    func testInvalidContentLengthValuesResynchronise() {
        for header in [
            "Content-Length: abc", "Content-Length: -5", "Content-Length:", "Content-Length 5",
            "Content-Length: 2\r\nContent-Length: 3",
        ] {
            let input = Array("\(header)\r\n\r\n{}".utf8) + lsp(#"{"ok":1}"#)
            let result = events(input, chunks: Array(repeating: 1, count: input.count))
            XCTAssertEqual(messages(result), [#"{"ok":1}"#], header)
            XCTAssertEqual(
                result.filter { if case .error(_, false) = $0 { return true } else { return false } }.count, 1,
                header)
        }
    }

    func testContentLengthAboveTheLimitIsFatal() {
        for length in ["101", "99999999999999999999999"] {
            let input = Array("Content-Length: \(length)\r\n\r\n{}".utf8) + lsp("{}")
            let result = events(input, limit: 100)
            XCTAssertEqual(result.count, 1, length)
            guard case .error(.framing, true) = result[0] else { return XCTFail("expected a fatal error") }
        }
    }

    func testOverlongHeaderBlockIsAnError() {
        let input = Array("Content-Length: 2\r\nX: \(String(repeating: "y", count: 9000))".utf8)
        let result = events(input)
        guard case .error(.framing, false)? = result.first else { return XCTFail("expected a framing error") }
    }

    func testTruncatedMessageIsReportedAtEndOfInput() {
        let input = Array("Content-Length: 50\r\n\r\n{\"a\":1}".utf8)
        XCTAssertEqual(events(input), [])
        let result = events(input, finish: true)
        guard case .error(.framing, true)? = result.last else { return XCTFail("expected a fatal framing error") }
    }

    func testUnterminatedLastLineIsAMessageAtEndOfInput() {
        XCTAssertEqual(messages(events(Array("{\"a\":1}\n{\"b\":2}".utf8), finish: true)), [#"{"a":1}"#, #"{"b":2}"#])
    }

    func testOverlongLineIsSkippedAndTheNextLineServed() {
        let input = Array("{\"a\":\"\(String(repeating: "x", count: 200))\"}\n{\"b\":2}\n".utf8)
        for chunks in [nil, Array(repeating: 1, count: input.count), randomChunks(count: input.count, seed: 7)] {
            let result = events(input, chunks: chunks, limit: 64)
            XCTAssertEqual(messages(result), [#"{"b":2}"#])
            XCTAssertEqual(result.count, 2)
        }
    }

    func testFramesOutputInTheDetectedFraming() {
        var framer = MessageFramer(maxMessageBytes: 100)
        XCTAssertEqual(framer.frame(Array("{}".utf8)), Array("{}\n".utf8))
        _ = framer.feed(Array("Content-Length: 2\r\n\r\n{}".utf8))
        XCTAssertEqual(framer.frame(Array("{\"é\":1}".utf8)), Array("Content-Length: 8\r\n\r\n{\"é\":1}".utf8))
    }
}
