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
}
