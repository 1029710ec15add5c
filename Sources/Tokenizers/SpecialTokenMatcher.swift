/// Finds special-token strings (such as `<|endoftext|>`) in UTF-8 text: leftmost match first, and the
/// longest special token when several start at the same byte.
struct SpecialTokenMatcher: Sendable {
    private let tokens: [(bytes: [UInt8], id: Int)]
    private let firstBytes: [Bool]

    init(_ specialTokens: [String: Int]) {
        tokens = specialTokens.filter { !$0.key.isEmpty }
            .map { (bytes: Array($0.key.utf8), id: $0.value) }
            .sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        var firstBytes = [Bool](repeating: false, count: 256)
        for token in tokens { firstBytes[Int(token.bytes[0])] = true }
        self.firstBytes = firstBytes
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Calls `ordinary` for each stretch of text between special tokens (never empty) and `special` for
    /// each special token found, in text order.
    func split(
        _ text: UnsafeBufferPointer<UInt8>,
        ordinary: (UnsafeBufferPointer<UInt8>) -> Void,
        special: (Int) -> Void
    ) {
        var stretchStart = 0
        var index = 0
        while index < text.count {
            if firstBytes[Int(text[index])], let token = match(text, at: index) {
                if stretchStart < index { ordinary(UnsafeBufferPointer(rebasing: text[stretchStart..<index])) }
                special(token.id)
                index += token.bytes.count
                stretchStart = index
            } else {
                index += 1
            }
        }
        if stretchStart < text.count { ordinary(UnsafeBufferPointer(rebasing: text[stretchStart..<text.count])) }
    }

    private func match(_ text: UnsafeBufferPointer<UInt8>, at index: Int) -> (bytes: [UInt8], id: Int)? {
        for token in tokens where index + token.bytes.count <= text.count {
            var equal = true
            for offset in 0..<token.bytes.count where text[index + offset] != token.bytes[offset] {
                equal = false
                break
            }
            if equal { return token }
        }
        return nil
    }
}
