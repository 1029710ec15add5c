import ArgumentParser
import Foundation
import SEDDTraining
import Tokenizers

/// `sedd tokenizer train`: a byte-level BPE for code, in GPT-2's file format, with the code model's
/// special tokens (`<|endoftext|>`, `<|pad|>`, one `<|lang:NAME|>` tag per language).
struct TokenizerTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Learn a byte-level BPE (GPT-2 format and pre-tokenizer) from files, directories or JSONL.",
        discussion: """
            Writes encoder.json + vocab.bpe to --out. Ids: the 256 bytes, the learned merges, then <|endoftext|>, \
            <|pad|> and <|lang:NAME|> for each of --languages, so --vocab-size counts them all; a model using it \
            sets "tokens" to the vocabulary size (the absorbing graph adds the mask after it). With --valid, \
            prints bytes per token of that text by language.
            """)

    @Option(parsing: .upToNextOption, help: "Training text: files, directories or JSONL ({\"text\", \"language\"} rows).")
    var data: [String]

    @Option(name: .customLong("vocab-size"), help: "Total ids: bytes + merges + special tokens.")
    var vocabSize: Int = 16384

    @Option(help: "Output directory (created).")
    var out: String

    @Option(help: "Languages that get a tag token, comma-separated, in id order.")
    var languages: String = CodeLanguages.corpus.joined(separator: ",")

    @Option(name: .customLong("max-bytes"), help: "Train on at most this many bytes (a deterministic sample of documents).")
    var maxBytes: Int = 32 << 20

    @Option(parsing: .upToNextOption, help: "Text to measure bytes per token on (e.g. the valid split).")
    var valid: [String] = []

    @Flag(help: "Print the measurement as one JSON object.")
    var json = false

    func run() throws {
        let languageList = languages.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
        guard maxBytes > 0 else { throw CLIError("--max-bytes must be positive, got \(maxBytes)") }
        let read = try CorpusReader().read(data)
        for line in read.skipped { log("skipped \(line)") }
        let sample = CodeTokenizerTraining.sample(read.documents, maxBytes: maxBytes)
        let bytes = sample.reduce(0) { $0 + $1.text.utf8.count }
        log("training on \(sample.count) of \(read.documents.count) documents, \(bytes) bytes")
        let start = Date()
        let tokenizer = try CodeTokenizerTraining.train(documents: sample, vocabularySize: vocabSize, languages: languageList)
        try tokenizer.save(to: URL(fileURLWithPath: out))
        log(String(format: "wrote %@: %d ids (%d merges) in %.1f s", out, tokenizer.vocabularySize, tokenizer.mergeCount,
                   Date().timeIntervalSince(start)))
        if tokenizer.vocabularySize < vocabSize {
            log("note: the text had too few repeated pairs; the vocabulary stopped at \(tokenizer.vocabularySize) ids")
        }
        guard !valid.isEmpty else { return }
        let validRead = try CorpusReader().read(valid)
        let costs = CodeTokenizerTraining.measure(tokenizer, documents: validRead.documents)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let object = MeasureReport(vocabularySize: tokenizer.vocabularySize, languages: costs)
            print(String(decoding: try encoder.encode(object), as: UTF8.self))
            return
        }
        print("language      documents        bytes       tokens  bytes/token")
        for key in costs.keys.sorted(by: { ($0 == "*" ? "~" : $0) < ($1 == "*" ? "~" : $1) }) {
            let c = costs[key]!
            let name = key == "*" ? "all" : key.isEmpty ? "(none)" : key
            print(
                name.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "%11d %12d %12d %12.3f", c.documents, c.bytes, c.tokens, c.bytesPerToken))
        }
    }

    struct MeasureReport: Encodable {
        var vocabularySize: Int
        var languages: [String: CodeTokenizerTraining.Cost]
    }

    private func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
}
