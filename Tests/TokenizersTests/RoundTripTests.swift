import Foundation
import Tokenizers
import XCTest

/// `decode(encode(s)) == s` for thousands of random strings built to hit the pre-tokenizer's corners.
final class RoundTripTests: XCTestCase {
    /// SplitMix64: a seeded generator so a failure names a reproducible string.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let fragments: [String] = [
        "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "''", "don't", "we'll", " '", "\u{2019}s",
        " ", "  ", "    ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r\n\r\n", "\r", " \n", "\u{A0}", "\u{3000}",
        "\u{2028}",
        "\u{0}", "\u{7}", "\u{1B}", "\u{7F}", "\u{1C}", "\u{85}", "\u{200B}", "\u{FEFF}",
        "abc", "Zebra", "x1", "1x", "42", "3.14159", "0xFF", "1_000", "var2name", "\u{BD}", "\u{2167}",
        "\u{664}\u{665}",
        "e\u{301}", "\u{301}\u{302}", "a\u{308}\u{323}", "\u{915}\u{94D}\u{937}", "\u{65E5}\u{672C}",
        "\u{1F600}", "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}", "\u{1F44D}\u{1F3FD}",
        "\u{1F1FA}\u{1F1F8}", "\u{2764}\u{FE0F}", "\u{10FFFF}", "\u{E000}", "\u{FFFD}",
        "<|endoftext|>", "<|", "func f() -> Int {", "}", "\treturn x\n", "# comment", "\"quoted\"", "a+=b;",
    ]

    static func randomScalar(_ generator: inout SeededGenerator) -> Unicode.Scalar {
        while true {
            let range: ClosedRange<UInt32>
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<4: range = 0...0x7F
            case 4..<6: range = 0x80...0x7FF
            case 6..<9: range = 0x800...0xFFFF
            default: range = 0x10000...0x10FFFF
            }
            if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &generator)) { return scalar }
        }
    }

    static func randomText(_ generator: inout SeededGenerator) -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 1...14, using: &generator) {
            if Bool.random(using: &generator) {
                text.append(contentsOf: fragments.randomElement(using: &generator)!.unicodeScalars)
            } else {
                for _ in 0..<Int.random(in: 1...6, using: &generator) { text.append(randomScalar(&generator)) }
            }
        }
        return String(text)
    }

    func testRandomStringsRoundTrip() {
        var generator = SeededGenerator(state: 0x5EDD)
        let tokenizer = Fixtures.gpt2
        var checked = 0
        for _ in 0..<4000 {
            let text = Self.randomText(&generator)
            let ids = tokenizer.encode(text)
            XCTAssertEqual(tokenizer.decodeBytes(ids), Array(text.utf8), "bytes of \"\(escaped(text))\"")
            XCTAssertEqual(tokenizer.decode(ids), text, "text \"\(escaped(text))\"")
            XCTAssertTrue(ids.allSatisfy { $0 >= 0 && $0 < 50256 }, "ordinary ids for \"\(escaped(text))\"")
            XCTAssertEqual(GPT2PreTokenizer.split(text).joined(), text, "pieces of \"\(escaped(text))\"")
            let special = tokenizer.encode(text, allowSpecial: true)
            XCTAssertEqual(tokenizer.decode(special), text, "special-aware \"\(escaped(text))\"")
            checked += 1
        }
        XCTAssertEqual(checked, 4000)
    }

    /// Concatenated per-token bytes equal decodeBytes, and a token may hold part of a character.
    func testTokenBytesAndPartialCharacters() {
        let tokenizer = Fixtures.gpt2
        let text = "\u{1F600} \u{65E5}\u{672C}\u{8A9E}"
        let ids = tokenizer.encode(text)
        XCTAssertEqual(ids.flatMap { tokenizer.tokenBytes($0) }, Array(text.utf8))
        let partial = ids.contains { String(bytes: tokenizer.tokenBytes($0), encoding: .utf8) == nil }
        XCTAssertTrue(partial, "expected some token to hold an incomplete UTF-8 sequence")
        XCTAssertEqual(tokenizer.decode(Array(ids.prefix(1))), "\u{FFFD}")
        XCTAssertEqual(tokenizer.decodeBytes([999_999, -3]), [])
    }

    /// One tokenizer shared by threads encoding at once gives every thread the same ids.
    func testConcurrentEncoding() throws {
        let tokenizer = try GPT2Tokenizer(directory: Fixtures.directory)  // cold cache: threads fill it
        var generator = SeededGenerator(state: 7)
        let texts = (0..<200).map { _ in Self.randomText(&generator) }
        let expected = texts.map { Fixtures.gpt2.encode($0) }
        let mismatches = ManagedAtomicCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for (index, text) in texts.enumerated().reversed() where (index + worker) % 2 == 0 {
                if tokenizer.encode(text) != expected[index] { mismatches.increment() }
            }
        }
        XCTAssertEqual(mismatches.value, 0)
    }
}

/// A counter threads may bump concurrently.
final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
