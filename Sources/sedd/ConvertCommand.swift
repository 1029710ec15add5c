import ArgumentParser
import Foundation
import SEDDModel
import SEDDTraining
import TensorFiles
import Tokenizers

/// `sedd convert`: rewrites a model directory's weights as safetensors in f32, bf16 or f16 (for
/// shipping a model at half the size, or turning a hub `pytorch_model.bin` into safetensors), with
/// its config and tokenizer files.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "Write a model directory's weights as safetensors in f32, bf16 or f16.")

    @Option(help: "The model directory to read.") var model: String
    @Option(help: "The model directory to write (created).") var out: String
    @Option(help: "f32, bf16 or f16.") var dtype: String = "bf16"
    @Option(help: "For a training run's directory: ema (the averaged weights it saves as its model, the reference's choice) or current (the optimizer's weights, from its checkpoint).")
    var weights: String = "ema"

    func run() throws {
        let encoding: SafetensorsWriter.FloatEncoding
        switch dtype {
        case "f32": encoding = .f32
        case "bf16": encoding = .bf16
        case "f16": encoding = .f16
        default: throw CLIError("--dtype must be f32, bf16 or f16, got '\(dtype)'")
        }
        let source = URL(fileURLWithPath: model), target = URL(fileURLWithPath: out)
        guard source.standardizedFileURL != target.standardizedFileURL else { throw CLIError("--out must differ from --model") }
        let network = try ModelDirectory.load(source)
        switch weights {
        case "ema": break
        case "current":
            let checkpoint = try TrainingCheckpoint.read(from: source.appendingPathComponent(TrainingCheckpoint.fileName))
            let count = network.parameters.table.count
            guard checkpoint.parameters.count == count else {
                throw CLIError("--weights current: \(model)'s checkpoint holds \(checkpoint.parameters.count) parameters, its config \(count)")
            }
            network.parameters.buffer.pointer.update(from: checkpoint.parameters, count: count)
        default: throw CLIError("--weights must be ema or current, got '\(weights)'")
        }
        try ModelDirectory.save(network, to: target, encoding: encoding, metadata: ["converted_from": source.lastPathComponent])
        if let tokenizer = try? GPT2Tokenizer(directory: source) { try tokenizer.save(to: target) }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("model.safetensors").path)[.size] as? Int) ?? 0
        print("wrote \(out): \(network.parameters.table.parameterCount) parameters as \(dtype), \(bytes / 1_000_000) MB")
    }
}
