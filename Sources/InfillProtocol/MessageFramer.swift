/// The two framings a connection may speak.
public enum Framing: String, Sendable {
    /// LSP base protocol: `Content-Length` headers.
    case contentLength
    /// Newline-delimited JSON, one message (or batch) per line.
    case newlineDelimited
}

/// What a framer found in the bytes fed to it.
public enum FramerEvent: Equatable, Sendable {
    /// One complete message body (not yet parsed).
    case message([UInt8])
    /// A framing error, answered with ParseError and `id: null`. When `fatal`, the stream cannot be
    /// re-synchronised and the connection must be closed after the reply.
    case error(InfillProtocolError, fatal: Bool)
}

/// Rules for detecting the framing from the first non-whitespace byte.
public enum FramingDetection {
    /// Whitespace (and the bytes of a UTF-8 byte order mark) skipped before detection.
    static func isSkippedBeforeDetection(_ byte: UInt8) -> Bool {
        isWhitespace(byte) || byte == 0xEF || byte == 0xBB || byte == 0xBF
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// The framing a first byte announces, or nil when it announces none.
    public static func framing(forFirstByte byte: UInt8) -> Framing? {
        switch byte {
        case UInt8(ascii: "C"), UInt8(ascii: "c"): return .contentLength
        case UInt8(ascii: "{"), UInt8(ascii: "["): return .newlineDelimited
        default: return nil
        }
    }
}

/// Per-connection framing: detects the framing from the first non-whitespace byte, keeps it, splits
/// incoming bytes into message bodies, and frames outgoing bodies the same way.
///
/// Fed arbitrary chunks, including one byte at a time; the events are the same for any chunking.
public struct MessageFramer {
    public let maxMessageBytes: Int
    /// The detected framing; nil until the first non-whitespace byte arrived.
    public private(set) var framing: Framing?
    private var lengthDecoder: ContentLengthDecoder
    private var lineDecoder: NewlineDelimitedDecoder
    /// True while skipping an undetectable line (garbage before the first message).
    private var skippingGarbage = false

    public init(maxMessageBytes: Int) {
        precondition(maxMessageBytes > 0, "the message size limit must be positive")
        self.maxMessageBytes = maxMessageBytes
        lengthDecoder = ContentLengthDecoder(maxMessageBytes: maxMessageBytes)
        lineDecoder = NewlineDelimitedDecoder(maxMessageBytes: maxMessageBytes)
    }

    /// Feeds received bytes; returns the complete messages and errors they finish.
    public mutating func feed(_ bytes: [UInt8]) -> [FramerEvent] {
        var events: [FramerEvent] = []
        var rest = bytes[...]
        while framing == nil, let first = rest.first {
            if skippingGarbage {
                guard let newline = rest.firstIndex(of: 0x0A) else { return events }
                rest = rest[(newline + 1)...]
                skippingGarbage = false
                continue
            }
            if FramingDetection.isSkippedBeforeDetection(first) {
                rest = rest.dropFirst()
                continue
            }
            if let detected = FramingDetection.framing(forFirstByte: first) {
                framing = detected
            } else {
                events.append(
                    .error(
                        .framing(
                            "cannot detect the framing: expected 'Content-Length:' or a JSON object or array, got byte "
                                + "0x\(String(first, radix: 16)); skipped to the next line"), fatal: false))
                skippingGarbage = true
            }
        }
        guard let framing, !rest.isEmpty else { return events }
        switch framing {
        case .contentLength: lengthDecoder.feed(Array(rest), into: &events)
        case .newlineDelimited: lineDecoder.feed(Array(rest), into: &events)
        }
        return events
    }

    /// End of input: reports a message cut short, or delivers an unterminated last NDJSON line.
    public mutating func finish() -> [FramerEvent] {
        var events: [FramerEvent] = []
        switch framing {
        case .contentLength: lengthDecoder.finish(into: &events)
        case .newlineDelimited: lineDecoder.finish(into: &events)
        case nil: break
        }
        return events
    }

    /// Frames an outgoing body in the connection's framing (NDJSON until a framing is detected).
    public func frame(_ body: [UInt8]) -> [UInt8] {
        MessageFramer.frame(body, as: framing ?? .newlineDelimited)
    }

    /// Frames `body` for `framing`.
    public static func frame(_ body: [UInt8], as framing: Framing) -> [UInt8] {
        switch framing {
        case .contentLength:
            return Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        case .newlineDelimited:
            return body + [0x0A]
        }
    }
}
