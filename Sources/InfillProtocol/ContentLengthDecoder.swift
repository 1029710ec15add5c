/// Decodes LSP base-protocol framing: `Name: value` header lines ended by CRLF, an empty line, then
/// exactly `Content-Length` bytes of body.
///
/// Unknown headers (`Content-Type`, Vim's `application/vim-jsonrpc`, ...) are ignored. Bare `\n` line
/// ends are tolerated. A header block without a valid `Content-Length` is answered with a framing error
/// and the decoder re-synchronises on the next `Content-Length:`; a length above the limit cannot be
/// skipped safely (we would have to trust it), so it is fatal and the connection is closed.
struct ContentLengthDecoder {
    /// Longest header block accepted; real clients send well under 200 bytes.
    static let maxHeaderBytes = 8192
    private static let headerName = Array("content-length".utf8)

    let maxMessageBytes: Int
    private var buffer = ByteBuffer()
    private var state = State.headers
    private var lineStart = 0
    private var scanOffset = 0
    private var contentLength: Int?
    private var headerProblem: String?

    private enum State {
        case headers
        case body(length: Int)
        case resynchronising
        case closed
    }

    init(maxMessageBytes: Int) { self.maxMessageBytes = maxMessageBytes }

    mutating func feed(_ bytes: [UInt8], into events: inout [FramerEvent]) {
        if case .closed = state { return }
        buffer.append(bytes)
        var progressed = true
        while progressed {
            switch state {
            case .headers: progressed = readHeaders(into: &events)
            case .body(let length): progressed = readBody(length: length, into: &events)
            case .resynchronising: progressed = resynchronise()
            case .closed: return
            }
        }
    }

    /// End of input inside a message is reported; whitespace between messages is not.
    mutating func finish(into events: inout [FramerEvent]) {
        switch state {
        case .body(let length):
            events.append(
                .error(
                    .framing("input ended inside a message: \(buffer.count) of \(length) bytes arrived"),
                    fatal: true))
        case .headers where lineStart > 0 || hasNonWhitespace(upTo: buffer.count):
            events.append(.error(.framing("input ended inside a header block"), fatal: true))
        default: break
        }
        buffer.removeAll()
        state = .closed
    }

    private func hasNonWhitespace(upTo end: Int) -> Bool {
        for offset in 0..<end where !FramingDetection.isWhitespace(buffer[offset]) { return true }
        return false
    }

    /// Reads complete header lines; returns true when the state changed.
    private mutating func readHeaders(into events: inout [FramerEvent]) -> Bool {
        while let newline = buffer.firstIndex(of: 0x0A, from: scanOffset) {
            var lineEnd = newline
            if lineEnd > lineStart, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if lineEnd == lineStart {
                if lineStart == 0 {
                    // Blank lines between messages (some clients add a trailing CRLF): skip them.
                    buffer.consume(newline + 1)
                    scanOffset = 0
                    continue
                }
                buffer.consume(newline + 1)
                return finishHeaderBlock(into: &events)
            }
            parseHeaderLine(from: lineStart, to: lineEnd)
            lineStart = newline + 1
            scanOffset = lineStart
        }
        scanOffset = buffer.count
        if buffer.count > ContentLengthDecoder.maxHeaderBytes {
            events.append(
                .error(
                    .framing("header block longer than \(ContentLengthDecoder.maxHeaderBytes) bytes"),
                    fatal: false))
            // Drop its first byte so re-synchronising looks for the *next* Content-Length, not this one.
            buffer.consume(1)
            startResynchronising()
            return true
        }
        return false
    }

    private mutating func parseHeaderLine(from start: Int, to end: Int) {
        var colon: Int?
        for offset in start..<end where buffer[offset] == UInt8(ascii: ":") {
            colon = offset
            break
        }
        guard let colon else {
            headerProblem = headerProblem ?? "a header line without ':'"
            return
        }
        let name = (start..<colon).map { asciiLowercase(buffer[$0]) }
        guard trimmed(name) == ContentLengthDecoder.headerName else { return }
        let value = trimmed((colon + 1..<end).map { buffer[$0] })
        guard !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            headerProblem = "Content-Length is not a non-negative decimal number"
            return
        }
        // More than 18 digits cannot fit Int; treat it as "too large", which is what it is.
        let length = value.count > 18 ? Int.max : Int(String(decoding: value, as: UTF8.self)) ?? Int.max
        if let previous = contentLength, previous != length {
            headerProblem = "two different Content-Length headers"
        }
        contentLength = length
    }

    private mutating func finishHeaderBlock(into events: inout [FramerEvent]) -> Bool {
        let length = contentLength
        let problem = headerProblem
        lineStart = 0
        scanOffset = 0
        contentLength = nil
        headerProblem = nil
        if let problem {
            events.append(.error(.framing(problem), fatal: false))
            startResynchronising()
        } else if let length {
            if length > maxMessageBytes {
                events.append(
                    .error(
                        .framing(
                            "Content-Length \(length == Int.max ? "(huge)" : String(length)) is above the limit of "
                                + "\(maxMessageBytes) bytes; closing the connection"), fatal: true))
                buffer.removeAll()
                state = .closed
            } else {
                state = .body(length: length)
            }
        } else {
            events.append(.error(.framing("a header block without Content-Length"), fatal: false))
            startResynchronising()
        }
        return true
    }

    private mutating func readBody(length: Int, into events: inout [FramerEvent]) -> Bool {
        guard buffer.count >= length else { return false }
        events.append(.message(buffer.prefix(length)))
        buffer.consume(length)
        state = .headers
        return true
    }

    private mutating func startResynchronising() {
        lineStart = 0
        scanOffset = 0
        contentLength = nil
        headerProblem = nil
        state = .resynchronising
    }

    /// Drops bytes up to the next `Content-Length` (any case); keeps a tail that may be its beginning.
    private mutating func resynchronise() -> Bool {
        let name = ContentLengthDecoder.headerName
        let searchable = buffer.count - name.count
        if searchable >= 0 {
            for offset in 0...searchable where asciiLowercase(buffer[offset]) == name[0] {
                var matches = true
                for index in 1..<name.count where asciiLowercase(buffer[offset + index]) != name[index] {
                    matches = false
                    break
                }
                if matches {
                    buffer.consume(offset)
                    state = .headers
                    return true
                }
            }
        }
        let keep = name.count - 1
        if buffer.count > keep { buffer.consume(buffer.count - keep) }
        return false
    }

    private func asciiLowercase(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
    }

    private func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var slice = bytes[...]
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return Array(slice)
    }
}
