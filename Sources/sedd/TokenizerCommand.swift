import ArgumentParser
import Foundation
import Tokenizers

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer", abstract: "Encode or decode with a tokenizer (stdin to stdout), or train one.",
        subcommands: [Encode.self, Decode.self, TokenizerTrain.self])

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Text on stdin to a JSON array of ids on stdout.")
        @Option(help: "A tokenizer or model directory (encoder.json + vocab.bpe, or vocab.json + merges.txt).")
        var tokenizer: String
        @Flag(help: "Recognise special tokens such as <|endoftext|> in the text.")
        var allowSpecial = false

        func run() throws {
            let tok = try GPT2Tokenizer(directory: URL(fileURLWithPath: tokenizer))
            let text = String(decoding: readStandardInput(), as: UTF8.self)
            let ids = tok.encode(text, allowSpecial: allowSpecial)
            print("[" + ids.map(String.init).joined(separator: ",") + "]")
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A JSON array of ids on stdin to text on stdout.")
        @Option(help: "A tokenizer or model directory.")
        var tokenizer: String

        func run() throws {
            let tok = try GPT2Tokenizer(directory: URL(fileURLWithPath: tokenizer))
            let data = Data(readStandardInput())
            guard let ids = try? JSONDecoder().decode([Int].self, from: data) else {
                throw CLIError("stdin: expected a JSON array of integer token ids, e.g. [15496, 995]")
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= tok.vocabularySize }) {
                throw CLIError("stdin: id \(bad) is outside the vocabulary (0..<\(tok.vocabularySize))")
            }
            FileHandle.standardOutput.write(Data(tok.decodeBytes(ids)))
        }
    }
}
