import Foundation
import InfillProtocol

// A libFuzzer target over the daemon's input side: the framer (both framings, any chunking) and message
// decoding (JSON parser, JSON-RPC message, LSP positions and ranges). It checks properties, not just
// "no crash": the framer gives the same events for every chunking of the same bytes, a body it frames
// comes back unchanged, and every parsed value survives a write and re-parse. A violated property traps,
// which libFuzzer reports like a crash, with the input saved.
//
// Build and run (see docs/daemon.md):
//   swift build -c debug --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address --product FuzzProtocol
//   .build-fuzz/debug/FuzzProtocol -max_total_time=600 -max_len=4096 corpus/
// In a plain build (no libFuzzer) this file's top-level code is the program: it replays the files
// named on the command line through the same checks, so a saved crash can be debugged without the fuzzer.

/// The largest message the framers accept here: small, so that the limit paths are reached often.
let fuzzMessageLimit = 1024

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtocolOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    FuzzChecks.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

enum FuzzChecks {
    static func run(_ input: [UInt8]) {
        // The first byte picks a chunk size for the chunked feed; the rest is the stream.
        let chunkSize = Int(input[0] % 17) + 1
        let stream = Array(input.dropFirst())

        var whole = MessageFramer(maxMessageBytes: fuzzMessageLimit)
        var wholeEvents = whole.feed(stream)
        wholeEvents += whole.finish()

        var chunked = MessageFramer(maxMessageBytes: fuzzMessageLimit)
        var chunkedEvents: [FramerEvent] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + chunkSize)
            chunkedEvents += chunked.feed(Array(stream[offset..<end]))
            offset = end
        }
        chunkedEvents += chunked.finish()
        precondition(
            kinds(wholeEvents) == kinds(chunkedEvents),
            "the framer's events depend on the chunking (chunks of \(chunkSize))")
        precondition(whole.framing == chunked.framing, "the detected framing depends on the chunking")

        for event in wholeEvents {
            guard case .message(let body) = event else { continue }
            checkFramingRoundTrip(body, framing: whole.framing ?? .newlineDelimited)
            decode(body)
        }
    }

    /// Events compared by kind and body: error messages may name offsets that differ by chunk.
    private static func kinds(_ events: [FramerEvent]) -> [String] {
        events.map { event in
            switch event {
            case .message(let body): return "message \(body)"
            case .error(_, let fatal): return "error fatal=\(fatal)"
            }
        }
    }

    /// A body framed by the daemon and read back by a fresh framer is the same body.
    private static func checkFramingRoundTrip(_ body: [UInt8], framing: Framing) {
        // NDJSON cannot carry a newline inside a body, and a body must start with what detection expects.
        guard framing == .contentLength || !body.contains(0x0A) else { return }
        guard let first = body.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D && $0 != 0x0A }),
            framing == .contentLength || first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else { return }
        var reader = MessageFramer(maxMessageBytes: fuzzMessageLimit + 64)
        var events = reader.feed(MessageFramer.frame(body, as: framing))
        events += reader.finish()
        let messages = events.compactMap { event -> [UInt8]? in
            if case .message(let bytes) = event { return bytes }
            return nil
        }
        if framing == .contentLength {
            precondition(messages == [body], "a Content-Length framed body did not come back unchanged")
        } else {
            // NDJSON skips whitespace-only lines and may trim a trailing CR; compare without those.
            precondition(messages.count <= 1, "one NDJSON line became several messages")
        }
    }

    private static func decode(_ body: [UInt8]) {
        guard let payload = try? IncomingPayload.parse(body) else { return }
        let values: [JSONValue]
        switch payload {
        case .single(let value): values = [value]
        case .batch(let members): values = members
        }
        for value in values {
            checkJSONRoundTrip(value)
            guard let message = try? IncomingMessage.decode(value) else { continue }
            let params: JSONValue?
            switch message {
            case .request(let request): params = request.params
            case .notification(let notification): params = notification.params
            case .response: params = nil
            }
            guard let params else { continue }
            _ = try? Position(json: params["position"], path: "position")
            _ = try? InfillProtocol.Range(json: params["range"], path: "range")
            if let text = params["text"]?.stringValue {
                checkPositions(Array(text.utf8), params: params)
            }
        }
    }

    /// Written and parsed again, a value is equal to itself.
    private static func checkJSONRoundTrip(_ value: JSONValue) {
        let written = JSONWriter.encode(value)
        guard let again = try? JSONParser.parse(written) else {
            preconditionFailure("the writer produced JSON its own parser rejects: \(JSONWriter.string(value))")
        }
        precondition(again == value, "a JSON value changed in a write and re-parse: \(JSONWriter.string(value))")
    }

    /// Offsets to positions and back, in every encoding: a position computed from an offset on a
    /// character boundary maps back to that offset.
    private static func checkPositions(_ bytes: [UInt8], params: JSONValue) {
        let lines = LineTable(bytes)
        for encoding in PositionEncoding.allCases {
            for offset in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 16)) {
                guard offset == bytes.count || (bytes[offset] & 0xC0) != 0x80 else { continue }
                // Inside a CRLF there is no position of its own.
                if offset > 0, offset < bytes.count, bytes[offset - 1] == 0x0D, bytes[offset] == 0x0A { continue }
                let position = lines.position(ofByteOffset: offset, in: bytes, encoding: encoding)
                let back = try? lines.byteOffset(of: position, in: bytes, encoding: encoding, field: "fuzz")
                precondition(
                    back == offset, "offset \(offset) -> \(position) -> \(String(describing: back)) in \(encoding)")
            }
            if let range = try? InfillProtocol.Range(json: params["range"], path: "range") {
                _ = try? lines.byteOffset(of: range.start, in: bytes, encoding: encoding, field: "range.start")
                _ = try? lines.byteOffset(of: range.end, in: bytes, encoding: encoding, field: "range.end")
            }
        }
    }
}

// The program. SwiftPM gives an executable target its own `main`, which takes the place of libFuzzer's, so
// the fuzzing build starts libFuzzer's driver from here; it is looked up at run time, which lets the
// same file build (and replay inputs) without libFuzzer.
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
typealias FuzzDriver =
    @convention(c) (
        UnsafeMutablePointer<Int32>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        FuzzCallback
    ) -> Int32

if let symbol = dlsym(nil, "LLVMFuzzerRunDriver") {
    let driver = unsafeBitCast(symbol, to: FuzzDriver.self)
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(driver(&argc, &argv, fuzzProtocolOneInput))
}

// Replay mode (a plain build, no libFuzzer): run the named files through the checks.
for path in CommandLine.arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("FuzzProtocol: cannot read \(path)\n".utf8))
        exit(1)
    }
    if !data.isEmpty { FuzzChecks.run([UInt8](data)) }
    print("ok \(path)")
}
