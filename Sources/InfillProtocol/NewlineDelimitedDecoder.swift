/// Splits newline-delimited JSON (NDJSON) on the `\n` byte.
///
/// A trailing `\r` is dropped (CRLF tolerated) and blank lines are skipped. A line above the size limit
/// is answered with a framing error and skipped up to its newline: the stream re-synchronises on the
/// next line without ever buffering the oversized one.
struct NewlineDelimitedDecoder {
    let maxMessageBytes: Int
    private var buffer = ByteBuffer()
    /// Where to continue looking for `\n` (bytes before it are known not to be newlines).
    private var scanOffset = 0
    /// True while skipping the rest of an oversized line.
    private var discarding = false

    init(maxMessageBytes: Int) { self.maxMessageBytes = maxMessageBytes }

    mutating func feed(_ bytes: [UInt8], into events: inout [FramerEvent]) {
        var chunk = bytes[...]
        if discarding {
            guard let newline = chunk.firstIndex(of: 0x0A) else { return }
            chunk = chunk[(newline + 1)...]
            discarding = false
        }
        buffer.append(Array(chunk))
        while let newline = buffer.firstIndex(of: 0x0A, from: scanOffset) {
            emitLine(length: newline, into: &events)
            buffer.consume(newline + 1)
            scanOffset = 0
        }
        scanOffset = buffer.count
        if buffer.count > maxMessageBytes {
            events.append(
                .error(
                    .framing("a line is longer than the limit of \(maxMessageBytes) bytes; it was skipped"),
                    fatal: false))
            buffer.removeAll()
            scanOffset = 0
            discarding = true
        }
    }

    /// End of input: an unterminated last line still counts as a message.
    mutating func finish(into events: inout [FramerEvent]) {
        if !buffer.isEmpty { emitLine(length: buffer.count, into: &events) }
        buffer.removeAll()
        scanOffset = 0
    }

    private func emitLine(length: Int, into events: inout [FramerEvent]) {
        var end = length
        if end > 0, buffer[end - 1] == 0x0D { end -= 1 }
        if end > maxMessageBytes {
            events.append(
                .error(
                    .framing("a line is longer than the limit of \(maxMessageBytes) bytes; it was skipped"),
                    fatal: false))
            return
        }
        var blank = true
        for offset in 0..<end where !FramingDetection.isWhitespace(buffer[offset]) {
            blank = false
            break
        }
        if !blank { events.append(.message(buffer.prefix(end))) }
    }
}
