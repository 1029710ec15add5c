/// Why a file was left out of the corpus (data.md section 2.3, one case per rule).
public enum RejectionReason: String, CaseIterable, Comparable, Sendable {
    /// A path component is `testdata`, `vendor`, `node_modules`, `third_party` or `dist`.
    case excludedDirectory = "excluded-directory"
    /// The name says generated or minified: `*.pb.swift`, `*.min.*`.
    case generatedName = "generated-name"
    /// A path with a tab or newline cannot be a manifest key.
    case unsafePath = "unsafe-path"
    /// The file could not be read.
    case unreadable = "unreadable"
    /// The bytes are not valid UTF-8.
    case notUTF8 = "not-utf8"
    /// Under 64 bytes after CRLF normalisation.
    case tooSmall = "too-small"
    /// Over 200 KB (200,000 bytes) after CRLF normalisation.
    case tooLarge = "too-large"
    /// A generated-code marker in the first 2,000 characters.
    case generatedMarker = "generated-marker"
    /// A line of more than 1,000 characters.
    case longLine = "long-line"
    /// A mean line length over 120 characters.
    case longMeanLine = "long-mean-line"
    /// An exact duplicate (same normalised content) of a file that was kept.
    case duplicate = "duplicate"

    public static func < (lhs: RejectionReason, rhs: RejectionReason) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A file's fate under `FileFilter.normalise`.
public enum FilterOutcome: Equatable, Sendable {
    /// Normalised bytes (CRLF turned into LF) that passed every rule.
    case kept([UInt8])
    case rejected(RejectionReason)
}

/// The per-file filters of data.md section 2.3. Pure functions over paths and bytes.
///
/// Characters are Unicode scalars (what Python's `str` counts), so the rules agree with the Python
/// prototype that measured the corpus.
public enum FileFilter {
    public static let minimumBytes = 64
    public static let maximumBytes = 200_000
    public static let maximumLineCharacters = 1_000
    public static let maximumMeanLineCharacters = 120
    public static let markerWindowCharacters = 2_000
    public static let excludedDirectories: Set<Substring> = [
        "testdata", "vendor", "node_modules", "third_party", "dist",
    ]

    /// The rule a relative path breaks, if any. Cheap, so it runs before the file is read.
    public static func rejection(forPath path: String) -> RejectionReason? {
        if path.contains("\t") || path.contains("\n") || path.contains("\r") { return .unsafePath }
        let components = path.split(separator: "/")
        if components.dropLast().contains(where: { excludedDirectories.contains($0) }) { return .excludedDirectory }
        let name = components.last ?? ""
        if name.hasSuffix(".pb.swift") || name.contains(".min.") { return .generatedName }
        return nil
    }

    /// Validates and normalises a file's bytes: UTF-8 check, CRLF to LF, size, generated markers and
    /// line lengths, in that order. Returns the normalised bytes or the first rule broken.
    public static func normalise(_ raw: [UInt8]) -> FilterOutcome {
        if raw.count > 2 * maximumBytes { return .rejected(.tooLarge) }  // CRLF->LF at most halves it
        guard String(validating: raw, as: UTF8.self) != nil else { return .rejected(.notUTF8) }
        let text = replacingCRLF(raw)
        if text.count < minimumBytes { return .rejected(.tooSmall) }
        if text.count > maximumBytes { return .rejected(.tooLarge) }
        if GeneratedMarkers.found(in: text, withinCharacters: markerWindowCharacters) {
            return .rejected(.generatedMarker)
        }
        let lines = LineStatistics(text)
        if lines.longestLine > maximumLineCharacters { return .rejected(.longLine) }
        if lines.meanLineLength > Double(maximumMeanLineCharacters) { return .rejected(.longMeanLine) }
        return .kept(text)
    }

    /// Every "\r\n" becomes "\n"; a lone "\r" stays (it is not a line ending we normalise).
    public static func replacingCRLF(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(13) else { return bytes }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13, index + 1 < bytes.count, bytes[index + 1] == 10 {
                index += 1
                continue
            }
            out.append(byte)
            index += 1
        }
        return out
    }
}

/// Line lengths in Unicode scalars, counted on UTF-8 bytes without decoding.
///
/// Lines are what an editor shows: a final newline does not start another (empty) line.
struct LineStatistics {
    private(set) var longestLine = 0
    private(set) var lineCount = 0
    private(set) var characterCount = 0  // scalars, newlines excluded

    init(_ bytes: [UInt8]) {
        var current = 0
        for byte in bytes {
            if byte == 10 {
                longestLine = max(longestLine, current)
                lineCount += 1
                current = 0
            } else if byte & 0xC0 != 0x80 {
                current += 1
                characterCount += 1
            }
        }
        if bytes.last != 10 && !bytes.isEmpty {
            longestLine = max(longestLine, current)
            lineCount += 1
        }
    }

    var meanLineLength: Double { lineCount == 0 ? 0 : Double(characterCount) / Double(lineCount) }
}
