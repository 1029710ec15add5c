import SEDDKernels

/// How tokenized documents become training blocks for a code model: one language per block, its tag
/// at position 0, and a share of blocks laid out the way an editor asks for a fill.
///
/// Plain block: `[tag] t t t ... t` (documents of one language joined by end-of-text, cut in order).
/// Infill-shaped block: `[tag] prefix middle <pad>*P suffix`, where the hole an editor would leave is
/// `middle + P` pads long: the model learns to write a fill of any length up to the hole's size and to
/// pad the rest in one run right after it (the engine strips the pads).
///
/// Every choice is drawn from a generator seeded by (`seed`, language, block index), so packing is
/// deterministic and does not depend on the other languages present.
public struct BlockPacking: Sendable, Equatable {
    /// Where an infill-shaped block's middle ends and how large its hole is.
    public enum HoleShape: String, Sendable, Equatable, CaseIterable {
        /// Hole uniform in 1...maxHoleTokens, middle uniform in 1...hole: the fill may end anywhere,
        /// mid-word included, so the model learns no line structure of fills.
        case uniform
        /// As an editor asks: the middle ends where a line ends (right before a token holding a line
        /// break, when one lies within the hole's reach): the rest of a line, whole lines. And a share
        /// (`sizedShare`) of holes is exactly the middle's size, no padding, as when a user sizes the
        /// hole to the fill. Needs `lineBreakTokens`.
        case editor

        /// Share of editor-shaped holes sized to their middle.
        public static let sizedShare = 0.25
    }

    /// Tokens per block (the training `--length`).
    public var length: Int
    /// Tag id by language; documents of other languages (or none) go to untagged blocks.
    public var languageTags: [String: Int]
    /// The padding id; required when `infillFraction` > 0.
    public var paddingID: Int?
    /// Share of blocks that are infill-shaped, in [0, 1].
    public var infillFraction: Double
    /// Largest hole (middle + padding) of an infill-shaped block, in tokens.
    public var maxHoleTokens: Int
    public var seed: UInt64
    public var holeShape: HoleShape
    /// Ids whose text holds a line break (`\n`): where an editor-shaped middle may end (right
    /// before one). Only read with `holeShape == .editor`.
    public var lineBreakTokens: Set<Int32>

    /// The share of infill-shaped blocks a code model trains with unless told otherwise.
    public static let defaultInfillFraction = 0.3

    public init(
        length: Int, languageTags: [String: Int], paddingID: Int?, infillFraction: Double, maxHoleTokens: Int = 64,
        seed: UInt64 = 0, holeShape: HoleShape = .uniform, lineBreakTokens: Set<Int32> = []
    ) {
        self.length = length
        self.languageTags = languageTags
        self.paddingID = paddingID
        self.infillFraction = infillFraction
        self.maxHoleTokens = maxHoleTokens
        self.seed = seed
        self.holeShape = holeShape
        self.lineBreakTokens = lineBreakTokens
    }

    /// Blocks of one packing run, laid end to end (`tokens.count == blocks * length`).
    public struct Packed: Sendable {
        public var tokens: [Int32]
        public var blocks: Int
        public var infillBlocks: Int
        /// Blocks per language ("" for untagged).
        public var blocksByLanguage: [String: Int]
        /// The hole (middle and padding) of each infill-shaped block, by block index, as positions
        /// within the block: what an editor would have left empty.
        public var holes: [Int: Range<Int>] = [:]
    }

    /// Packs token streams, one per document, each already followed by its end-of-text id.
    /// `infill: false` packs plain blocks only (validation data).
    public func pack(documents: [[Int32]], languages: [String?], infill: Bool = true) -> Packed {
        precondition(documents.count == languages.count, "one language per document")
        precondition(length >= 2, "blocks need at least two tokens")
        precondition(!infill || infillFraction == 0 || paddingID != nil, "infill-shaped blocks need a padding id")
        var groups: [String: [Int]] = [:]
        for (index, language) in languages.enumerated() {
            let key = language.flatMap { languageTags[$0] == nil ? nil : $0 } ?? ""
            groups[key, default: []].append(index)
        }
        var out = Packed(tokens: [], blocks: 0, infillBlocks: 0, blocksByLanguage: [:], holes: [:])
        for key in groups.keys.sorted() {
            let tag = languageTags[key].map { Int32($0) }
            var stream: [Int32] = []
            for index in groups[key]! { stream += documents[index] }
            packStream(stream, tag: tag, language: key, infill: infill, into: &out)
        }
        return out
    }

    private func packStream(_ stream: [Int32], tag: Int32?, language: String, infill: Bool, into out: inout Packed) {
        let room = length - (tag == nil ? 0 : 1)
        var rng = SeededRandom(seed: seed ^ Self.hash(language))
        var cursor = 0
        var blockIndex = 0
        blocks: while true {
            // One draw decides the block's shape whether or not it becomes infill, so the sequence of
            // draws does not shift with the fraction.
            let shapeDraw = rng.nextDouble()
            let holeDraw = rng.next(), middleDraw = rng.next(), startDraw = rng.next()
            // Editor-shaped runs draw once more per block (uniform runs keep their old sequence).
            let sizedDraw = holeShape == .editor ? rng.nextDouble() : 1
            let shaped = infill && shapeDraw < infillFraction && room >= 4
            var hole = 0, middle = 0, start = 0
            if shaped {
                hole = 1 + Int(holeDraw % UInt64(max(1, min(maxHoleTokens, room / 2))))
                middle = 1 + Int(middleDraw % UInt64(hole))
                // Where the hole starts; it fits in the block even unpadded, so the start does not
                // depend on where the middle ends.
                start = Int(startDraw % UInt64(room - hole + 1))
                if holeShape == .editor {
                    guard cursor + start + hole <= stream.count else { break blocks }
                    middle = lineEndMiddle(stream, from: cursor + start, aim: middle, reach: hole)
                    if sizedDraw < HoleShape.sizedShare { hole = middle }
                }
            }
            let pads = hole - middle
            let content = room - pads
            guard cursor + content <= stream.count else { break }
            if let tag { out.tokens.append(tag) }
            let chunk = stream[cursor..<(cursor + content)]
            if shaped {
                let cut = chunk.startIndex + start + middle
                let holeStart = (tag == nil ? 0 : 1) + start
                out.holes[out.blocks + blockIndex] = holeStart..<(holeStart + hole)
                out.tokens += chunk[..<cut]
                out.tokens += [Int32](repeating: Int32(paddingID!), count: pads)
                out.tokens += chunk[cut...]
                out.infillBlocks += 1
            } else {
                out.tokens += chunk
            }
            cursor += content
            blockIndex += 1
        }
        out.blocks += blockIndex
        if blockIndex > 0 { out.blocksByLanguage[language, default: 0] += blockIndex }
    }

    /// The middle's length when a fill starting at `from` should end at a line end: the first line
    /// break at or after `aim` tokens within `reach`, else the last one before `aim`, else `aim` (no
    /// line ends there). The middle stops right before the break, which starts the suffix, as the
    /// text after an editor's cursor at a line's end starts with that line's break.
    func lineEndMiddle(_ stream: [Int32], from: Int, aim: Int, reach: Int) -> Int {
        if let j = (aim...reach).first(where: { from + $0 < stream.count && lineBreakTokens.contains(stream[from + $0]) }) {
            return j
        }
        return (1..<aim).last(where: { lineBreakTokens.contains(stream[from + $0]) }) ?? aim
    }

    /// FNV-1a of a language name, so each language has its own draws.
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
