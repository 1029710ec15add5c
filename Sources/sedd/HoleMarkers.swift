/// Text with hole markers, as `sedd infill` reads it: `<|fill|>` is a hole of the default size and
/// `<|fill:48|>` one of 48 tokens. Another marker name (`--marker hole`) gives `<|hole|>`.
struct HoleMarkers {
    var segments: [String]
    var sizes: [Int?]

    enum ParseError: Error, CustomStringConvertible {
        case noHoles(marker: String)
        case badSize(String)

        var description: String {
            switch self {
            case .noHoles(let m): return "stdin: no hole marker found; write <|\(m)|> or <|\(m):N|> where the fill goes"
            case .badSize(let s): return "stdin: hole marker '\(s)' has a size that is not a number from 1 to 1024"
            }
        }
    }

    static func parse(_ text: String, name: String = "fill") throws -> HoleMarkers {
        let open = "<|" + name
        var segments: [String] = []
        var sizes: [Int?] = []
        var rest = Substring(text)
        var current = ""
        while let r = rest.range(of: open) {
            let after = rest[r.upperBound...]
            if after.hasPrefix("|>") {
                segments.append(current + rest[..<r.lowerBound])
                current = ""
                sizes.append(nil)
                rest = after.dropFirst(2)
            } else if after.hasPrefix(":"), let close = after.range(of: "|>") {
                let number = after[after.index(after: after.startIndex)..<close.lowerBound]
                guard let n = Int(number), (1...1024).contains(n) else {
                    throw ParseError.badSize(String(rest[r.lowerBound..<close.upperBound]))
                }
                segments.append(current + rest[..<r.lowerBound])
                current = ""
                sizes.append(n)
                rest = after[close.upperBound...]
            } else {
                current += rest[..<r.upperBound]
                rest = after
            }
        }
        segments.append(current + rest)
        if sizes.isEmpty { throw ParseError.noHoles(marker: name) }
        return HoleMarkers(segments: segments, sizes: sizes)
    }
}
