import Foundation

extension SEDDConfig {
    /// Reads a reference-layout `config.json`.
    public static func load(from url: URL) throws -> SEDDConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError.missingFile(path: url.path, hint: "a model directory holds config.json")
        }
        return try decode(data, source: url.path)
    }

    /// Decodes the reference's nested config; `source` names the file in errors.
    public static func decode(_ data: Data, source: String) throws -> SEDDConfig {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfig(file: source, key: "(root)", reason: "is not a JSON object")
        }
        let reader = KeyReader(root: root, source: source)
        let graphName: String = try reader.required("graph.type")
        guard let graph = GraphKind(rawValue: graphName) else {
            throw ModelError.invalidConfig(file: source, key: "graph.type", reason: "is '\(graphName)'; accepted: absorb, uniform")
        }
        let noiseName: String = try reader.optional("noise.type") ?? "loglinear"
        guard let noise = NoiseKind(rawValue: noiseName) else {
            throw ModelError.invalidConfig(file: source, key: "noise.type", reason: "is '\(noiseName)'; accepted: loglinear, geometric")
        }
        var extras = SEDDExtras()
        if let section = root["sedd"] {
            let json = try JSONSerialization.data(withJSONObject: section)
            do { extras = try JSONDecoder().decode(SEDDExtras.self, from: json) } catch {
                throw ModelError.invalidConfig(file: source, key: "sedd", reason: "is malformed: \(error)")
            }
        }
        let config = SEDDConfig(
            tokens: try reader.required("tokens"), graph: graph, noise: noise,
            sigmaMin: try reader.optional("noise.sigma_min") ?? 1e-4,
            sigmaMax: try reader.optional("noise.sigma_max") ?? 20,
            name: try reader.optional("model.name") ?? "sedd",
            hiddenSize: try reader.required("model.hidden_size"), condDim: try reader.required("model.cond_dim"),
            heads: try reader.required("model.n_heads"), blocks: try reader.required("model.n_blocks"),
            length: try reader.optional("model.length") ?? 1024, dropout: try reader.optional("model.dropout") ?? 0.1,
            scaleBySigma: try reader.optional("model.scale_by_sigma") ?? (graph == .absorb), extras: extras)
        try config.validate(source: source)
        return config
    }

    /// The config as the reference lays it out, with sedd's section when it has content.
    public func jsonData() -> Data {
        var root: [String: Any] = [
            "ngpus": 1,
            "tokens": tokens,
            "graph": ["type": graph.rawValue, "file": "data", "report_all": false],
            "noise": ["type": noise.rawValue, "sigma_min": sigmaMin, "sigma_max": sigmaMax],
            "model": [
                "name": name, "type": "ddit", "hidden_size": hiddenSize, "cond_dim": condDim, "length": length,
                "n_blocks": blocks, "n_heads": heads, "scale_by_sigma": scaleBySigma, "dropout": dropout,
            ] as [String: Any],
        ]
        if extras != SEDDExtras(), let data = try? JSONEncoder().encode(extras),
            let object = try? JSONSerialization.jsonObject(with: data)
        {
            root["sedd"] = object
        }
        return try! JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
    }
}

/// Reads dotted keys ("model.hidden_size") from a nested JSON object with typed errors.
private struct KeyReader {
    let root: [String: Any]
    let source: String

    func value(_ key: String) throws -> Any? {
        var node: Any = root
        for part in key.split(separator: ".") {
            guard let dict = node as? [String: Any] else {
                throw ModelError.invalidConfig(file: source, key: key, reason: "has a parent that is not an object")
            }
            guard let next = dict[String(part)] else { return nil }
            node = next
        }
        return node
    }

    func required<T>(_ key: String) throws -> T {
        guard let v: T = try optional(key) else {
            throw ModelError.invalidConfig(file: source, key: key, reason: "is missing (\(typeName(T.self)) required)")
        }
        return v
    }

    func optional<T>(_ key: String) throws -> T? {
        guard let raw = try value(key), !(raw is NSNull) else { return nil }
        let wrong = ModelError.invalidConfig(file: source, key: key, reason: "must be \(typeName(T.self)), got \(raw)")
        switch T.self {
        case is Int.Type:
            guard let n = raw as? NSNumber, !isBool(n), n.doubleValue == n.doubleValue.rounded() else { throw wrong }
            return (n.intValue as! T)
        case is Double.Type:
            guard let n = raw as? NSNumber, !isBool(n) else { throw wrong }
            return (n.doubleValue as! T)
        case is Bool.Type:
            guard let n = raw as? NSNumber, isBool(n) else { throw wrong }
            return (n.boolValue as! T)
        case is String.Type:
            guard let s = raw as? String else { throw wrong }
            return (s as! T)
        default:
            throw wrong
        }
    }

    /// JSON `true`/`false` decode as a boolean-typed NSNumber ("c"); numbers never do.
    private func isBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
    private func typeName<T>(_: T.Type) -> String {
        switch T.self {
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default: return "a string"
        }
    }
}
