import ArgumentParser
import Foundation
import SEDDTraining

/// `sedd grow`: deepens a model directory, or a training run's, by blocks that start as the identity
/// (`DepthGrowth`), so a model trained at one depth goes on training at a larger one without losing
/// what it learned.
struct GrowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grow",
        abstract: "Add blocks to a model (or a training run) that leave what it computes unchanged.",
        discussion: """
            New blocks are copies of the last one with their residual gates closed (the gate rows of their \
            adaLN modulation zero), appended before the output layer: the grown model's outputs equal the \
            original's until training opens the gates. A checkpoint.safetensors in --model is grown too \
            (weights, EMA, Adam moments; step, data position and generator state kept) and train-log.jsonl \
            copied, so `sedd train --model OUT --out OUT --resume ...` continues the run. Weights are written \
            as f32; `sedd convert` makes bf16 for shipping.
            """)

    @Option(help: "The model or training-run directory to read.") var model: String
    @Option(help: "The directory to write (created; must not hold a training checkpoint).") var out: String
    @Option(help: "Blocks in all after growing (more than the model has).") var blocks: Int
    @Option(help: "A new model.name for the config (default: keep it).") var name: String?

    func run() throws {
        let s = try RunGrowth.grow(model: URL(fileURLWithPath: model), out: URL(fileURLWithPath: out), blocks: blocks, name: name)
        print(
            "wrote \(out): \(s.config.name), \(s.oldBlocks) -> \(s.config.blocks) blocks, "
                + "\(s.oldParameterCount) -> \(s.parameterCount) parameters"
                + (s.checkpointStep.map { ", training checkpoint at step \($0)" } ?? ""))
    }
}
