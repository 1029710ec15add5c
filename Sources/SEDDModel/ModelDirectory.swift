import Foundation
import TensorFiles

/// A model directory as the hub has them: `config.json` (the reference's nested config) and the
/// weights as `model.safetensors` or `pytorch_model.bin`, plus optional tokenizer files.
///
/// Loading is strict where the reference's hub loader is not: every parameter must be present with
/// its exact shape and a floating dtype, and nothing else may be there except the reference's
/// `rotary_emb.inv_freq` buffer (ignored: the table is recomputed).
public enum ModelDirectory {
    public static let configFile = "config.json"
    public static let weightFiles = ["model.safetensors", "pytorch_model.bin"]

    /// The weights file a directory holds (safetensors first, as the hub mixin tries it first).
    public static func weightsURL(in directory: URL) throws -> URL {
        for name in weightFiles {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw ModelError.missingFile(
            path: directory.appendingPathComponent(weightFiles[0]).path,
            hint: "a model directory holds model.safetensors or pytorch_model.bin")
    }

    /// Loads config and weights. `weights` overrides the file (e.g. a fixture's safetensors).
    public static func load(_ directory: URL, weights: URL? = nil) throws -> SEDDNetwork {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError.missingFile(path: directory.path, hint: "expected a model directory with config.json and weights")
        }
        let config = try SEDDConfig.load(from: directory.appendingPathComponent(configFile))
        return try loadWeights(config: config, from: weights ?? weightsURL(in: directory))
    }

    /// Reads every parameter of `config` from a weights file, strictly.
    public static func loadWeights(config: SEDDConfig, from url: URL) throws -> SEDDNetwork {
        let archive: any TensorArchive
        do { archive = try openTensorArchive(at: url) } catch {
            throw ModelError.weightsUnreadable(file: url.path, reason: error.description)
        }
        let table = ParameterTable(config: config)
        let store = ParameterStore(table: table)
        let file = url.path
        for name in archive.tensorNames where table.entry(name) == nil && name != ParameterTable.rotaryBufferName {
            throw ModelError.unexpectedTensor(file: file, key: name)
        }
        for entry in table.entries {
            guard archive.contains(entry.name) else {
                throw ModelError.missingTensor(file: file, key: entry.name, expectedShape: entry.shape)
            }
            let info: TensorInfo
            do { info = try archive.info(entry.name) } catch { throw ModelError.weightsUnreadable(file: file, reason: error.description) }
            guard info.shape == entry.shape else {
                throw ModelError.shapeMismatch(file: file, key: entry.name, expected: entry.shape, found: info.shape)
            }
            guard info.dtype.isFloatingPoint else {
                throw ModelError.unsupportedDType(file: file, key: entry.name, dtype: info.dtype.rawValue)
            }
            do {
                try archive.readFloat32(entry.name, into: store.buffer.pointer + entry.offset, count: entry.count)
            } catch {
                throw ModelError.weightsUnreadable(file: file, reason: error.description)
            }
        }
        return SEDDNetwork(config: config, parameters: store)
    }

    /// Writes `config.json` and `model.safetensors` (f32, or bf16/f16 to halve the size).
    public static func save(
        _ network: SEDDNetwork, to directory: URL, encoding: SafetensorsWriter.FloatEncoding = .f32,
        metadata: [String: String] = [:]
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try network.config.jsonData().write(to: directory.appendingPathComponent(configFile))
        try saveWeights(network.parameters, to: directory.appendingPathComponent(weightFiles[0]), encoding: encoding, metadata: metadata)
    }

    /// Writes a parameter store under the reference's names.
    public static func saveWeights(
        _ store: ParameterStore, to url: URL, encoding: SafetensorsWriter.FloatEncoding = .f32, metadata: [String: String] = [:]
    ) throws {
        let writer = SafetensorsWriter(destination: url, metadata: metadata.merging(["format": "pt"]) { a, _ in a })
        for entry in store.table.entries {
            try writer.add(entry.name, shape: entry.shape, floats: store.values(entry.name), as: encoding)
        }
        try writer.write()
    }
}
