import Foundation
import SEDDModel
import TensorFiles

/// Everything a training run needs to continue exactly: weights, EMA, Adam moments, counters, data
/// position and generator state. Stored as one safetensors file (flat f32 buffers, counters in the
/// metadata), written through a temporary file renamed into place.
public struct TrainingCheckpoint: Sendable {
    public var parameters: [Float]
    public var ema: [Float]
    public var adamM: [Float]
    public var adamV: [Float]
    public var step: Int
    public var adamSteps: Int
    public var emaUpdates: Int
    public var epoch: Int
    public var cursor: Int
    public var rngState: [UInt64]
    public var batch: Int
    public var length: Int
    public var seed: UInt64
    public var blockCount: Int
    /// The file it was read from (for error messages).
    public var source: String

    public static let fileName = "checkpoint.safetensors"

    public func write(to url: URL) throws(TrainingError) {
        let metadata: [String: String] = [
            "what": "sedd training checkpoint", "step": "\(step)", "adam_steps": "\(adamSteps)",
            "ema_updates": "\(emaUpdates)", "epoch": "\(epoch)", "cursor": "\(cursor)",
            "rng": rngState.map(String.init).joined(separator: ","), "batch": "\(batch)", "length": "\(length)",
            "seed": "\(seed)", "blocks": "\(blockCount)",
        ]
        let writer = SafetensorsWriter(destination: url, metadata: metadata)
        do {
            try writer.add("parameters", shape: [parameters.count], floats: parameters)
            try writer.add("ema", shape: [ema.count], floats: ema)
            try writer.add("adam.m", shape: [adamM.count], floats: adamM)
            try writer.add("adam.v", shape: [adamV.count], floats: adamV)
            try writer.write()
        } catch {
            throw .io(path: url.path, reason: "cannot write the checkpoint: \(error.description)")
        }
    }

    public static func read(from url: URL) throws(TrainingError) -> TrainingCheckpoint {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw .checkpoint(path: path, reason: "not found; --resume needs a checkpoint from an earlier run with this --out")
        }
        do {
            let a = try openTensorArchive(at: url)
            let m = a.metadata
            func int(_ key: String) throws(TrainingError) -> Int {
                guard let s = m[key], let v = Int(s) else { throw .checkpoint(path: path, reason: "metadata '\(key)' is missing or not an integer") }
                return v
            }
            let words = (m["rng"] ?? "").split(separator: ",").compactMap { UInt64($0) }
            guard words.count == 4 else { throw TrainingError.checkpoint(path: path, reason: "metadata 'rng' must hold 4 integers") }
            guard let seed = m["seed"].flatMap(UInt64.init) else { throw TrainingError.checkpoint(path: path, reason: "metadata 'seed' is missing") }
            return TrainingCheckpoint(
                parameters: try a.readFloat32("parameters"), ema: try a.readFloat32("ema"),
                adamM: try a.readFloat32("adam.m"), adamV: try a.readFloat32("adam.v"), step: try int("step"),
                adamSteps: try int("adam_steps"), emaUpdates: try int("ema_updates"), epoch: try int("epoch"),
                cursor: try int("cursor"), rngState: words, batch: try int("batch"), length: try int("length"),
                seed: seed, blockCount: try int("blocks"), source: path)
        } catch let e as TrainingError {
            throw e
        } catch {
            throw .checkpoint(path: path, reason: "unreadable: \(error)")
        }
    }
}
