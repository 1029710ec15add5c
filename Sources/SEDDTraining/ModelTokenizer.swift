import Foundation
import SEDDModel
import Tokenizers

/// The tokenizer a model directory carries: its `encoder.json` + `vocab.bpe` (or `vocab.json` +
/// `merges.txt`), or the byte tokenizer when the config's `sedd.tokenizer` says "bytes" and no files
/// are there. Checked against the model: every id the tokenizer can produce must be a model token.
public enum ModelTokenizer {
    public static func load(directory: URL, config: SEDDConfig) throws(TrainingError) -> any Tokenizer {
        let fm = FileManager.default
        let hasFiles = ["encoder.json", "vocab.json"].contains { fm.fileExists(atPath: directory.appendingPathComponent($0).path) }
        let tokenizer: any Tokenizer
        if hasFiles {
            do { tokenizer = try GPT2Tokenizer(directory: directory) } catch {
                throw .tokenizer(directory: directory.path, reason: error.description)
            }
        } else if config.extras.tokenizer == "bytes" {
            do { tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>"]) } catch {
                throw .tokenizer(directory: directory.path, reason: error.description)
            }
        } else {
            throw .tokenizer(
                directory: directory.path,
                reason: "no encoder.json + vocab.bpe (or vocab.json + merges.txt), and config 'sedd.tokenizer' is not \"bytes\"")
        }
        if tokenizer.vocabularySize > config.tokens {
            throw .tokenizer(
                directory: directory.path,
                reason: "vocabulary of \(tokenizer.vocabularySize) ids exceeds the model's \(config.tokens) tokens (config 'tokens')")
        }
        return tokenizer
    }

    /// The id that separates documents: the tokenizer's `<|endoftext|>`, else the config's
    /// `sedd.end_of_text_id`.
    public static func endOfText(_ tokenizer: any Tokenizer, config: SEDDConfig, directory: URL) throws(TrainingError) -> Int {
        if let id = tokenizer.endOfTextID ?? config.extras.endOfTextID, id >= 0, id < config.tokens { return id }
        throw .tokenizer(
            directory: directory.path,
            reason: "has no <|endoftext|> token and config 'sedd.endOfTextID' is not set; documents need a separator")
    }

    /// The config's `sedd` section completed from the tokenizer: its kind, and the ids of
    /// `<|endoftext|>`, `<|pad|>` and the language tags when the tokenizer has them. Values already
    /// in the config win, so a model's recorded ids never change under it.
    public static func completedExtras(_ extras: SEDDExtras, tokenizer: any Tokenizer) -> SEDDExtras {
        var out = extras
        let specials = CodeLanguages.specialTokenIDs(tokenizer)
        if out.tokenizer == nil { out.tokenizer = tokenizer is ByteTokenizer ? "bytes" : "gpt2" }
        if out.endOfTextID == nil { out.endOfTextID = tokenizer.endOfTextID }
        if out.paddingID == nil { out.paddingID = specials[CodeLanguages.padding] }
        if out.languageTags == nil {
            let tags = CodeLanguages.tagIDs(tokenizer)
            if !tags.isEmpty { out.languageTags = tags }
        }
        return out
    }

    /// How `sedd train` packs data for this model: by language with tags when the vocabulary has
    /// them, and with `fraction` of infill-shaped blocks when it has a padding id (default 0.3). Nil
    /// when neither applies (plain packing: one stream, blocks cut in order).
    public static func packing(
        extras: SEDDExtras, length: Int, infillFraction: Double?, seed: UInt64,
        holeShape: BlockPacking.HoleShape = .uniform, tokenizer: (any Tokenizer)? = nil
    ) throws(TrainingError) -> BlockPacking? {
        let tags = extras.languageTags ?? [:]
        let fraction = infillFraction ?? (extras.paddingID == nil ? 0 : BlockPacking.defaultInfillFraction)
        if fraction > 0 && extras.paddingID == nil {
            throw .invalidOption(
                name: "--infill-fraction",
                reason: "infill-shaped blocks need a padding token; the model's config has no 'sedd.paddingID' and its tokenizer no <|pad|>")
        }
        if tags.isEmpty && fraction == 0 { return nil }
        let breaks = holeShape == .editor ? tokenizer.map(lineBreakTokens) ?? [] : []
        return BlockPacking(
            length: length, languageTags: tags, paddingID: extras.paddingID, infillFraction: fraction, seed: seed,
            holeShape: holeShape, lineBreakTokens: breaks)
    }

    /// Ids whose bytes hold a line feed: where an editor-shaped fill may end (right before one).
    public static func lineBreakTokens(_ tokenizer: any Tokenizer) -> Set<Int32> {
        Set(tokenizer.lineBreakIDs().map { Int32($0) })
    }
}
