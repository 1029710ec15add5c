import Foundation
import SEDDModel
import Tokenizers

/// Deepens a model directory, or a training run's (`DepthGrowth`): the config, the weights (f32), the
/// tokenizer files and, when there is one, the checkpoint grown and the training log copied, so
/// `sedd train --resume` on the new directory continues the run at the larger depth.
public enum RunGrowth {
    public struct Summary: Sendable {
        public let config: SEDDConfig
        public let oldBlocks: Int
        public let oldParameterCount: Int
        public let parameterCount: Int
        /// The checkpoint's step, when the directory held a training run.
        public let checkpointStep: Int?
    }

    public static func grow(model source: URL, out target: URL, blocks: Int, name: String? = nil) throws -> Summary {
        let fm = FileManager.default
        guard source.standardizedFileURL != target.standardizedFileURL else {
            throw TrainingError.invalidOption(name: "--out", reason: "must differ from --model")
        }
        if fm.fileExists(atPath: target.appendingPathComponent(TrainingCheckpoint.fileName).path) {
            throw TrainingError.invalidOption(
                name: "--out", reason: "\(target.path) already holds a training checkpoint; choose another directory")
        }
        let network = try ModelDirectory.load(source)
        let growth: DepthGrowth
        do { growth = try DepthGrowth(config: network.config, blocks: blocks, name: name) } catch {
            guard case .invalidArgument(_, let reason) = error else { throw error }
            throw TrainingError.invalidOption(name: "--blocks", reason: reason)
        }
        let grown = growth.grow(network)
        let checkpointURL = source.appendingPathComponent(TrainingCheckpoint.fileName)
        let checkpoint = fm.fileExists(atPath: checkpointURL.path) ? try TrainingCheckpoint.read(from: checkpointURL).grown(by: growth) : nil

        try ModelDirectory.save(grown, to: target, metadata: ["grown_from": source.lastPathComponent])
        if let tokenizer = try? GPT2Tokenizer(directory: source) { try tokenizer.save(to: target) }
        if let checkpoint {
            try checkpoint.write(to: target.appendingPathComponent(TrainingCheckpoint.fileName))
            let log = source.appendingPathComponent(TrainingLog.fileName), copy = target.appendingPathComponent(TrainingLog.fileName)
            if fm.fileExists(atPath: log.path) {
                try? fm.removeItem(at: copy)
                try fm.copyItem(at: log, to: copy)
            }
        }
        return Summary(
            config: grown.config, oldBlocks: network.config.blocks, oldParameterCount: network.parameters.table.parameterCount,
            parameterCount: grown.parameters.table.parameterCount, checkpointStep: checkpoint?.step)
    }
}
