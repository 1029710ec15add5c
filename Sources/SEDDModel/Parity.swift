import Foundation
import TensorFiles

/// Checks this implementation against a directory of reference fixtures (the format of the
/// fixture README: `<graph>.config.json`, `<graph>.weights.safetensors`, `<graph>.forward.safetensors`,
/// ...). Every kind of fixture present is checked; kinds this module does not own (gradients) are
/// added by callers through `extraChecks`.
public struct ParityRunner {
    public let directory: URL
    /// The arithmetic checked. fp32 (the default, whatever the process default) is the reference path
    /// and uses the float32 tolerance rule; bf16 uses the bf16 rule (`ParityTolerance.bf16`).
    public let precision: Precision
    public init(directory: URL, precision: Precision = .fp32) {
        self.directory = directory
        self.precision = precision
    }

    public func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
    public func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name).path) }

    /// The graphs whose config and weights are present.
    public var graphs: [String] {
        ["absorb", "uniform"].filter { exists("\($0).config.json") && exists("\($0).weights.safetensors") }
    }

    public func network(_ graph: String, weights: String? = nil) throws -> SEDDNetwork {
        let config = try SEDDConfig.load(from: file("\(graph).config.json"))
        let net = try ModelDirectory.loadWeights(config: config, from: file(weights ?? "\(graph).weights.safetensors"))
        net.precision = precision
        return net
    }

    /// Runs every check whose fixture exists.
    public func run() throws -> [ParityCheck] {
        var checks: [ParityCheck] = []
        // Noise, graph functions and the file readers involve no matrix product: checked in fp32 only.
        let reference = precision == .fp32
        if reference && exists("noise.safetensors") { checks += try noiseChecks() }
        for g in graphs {
            let net = try network(g)
            if reference && exists("\(g).pytorch_model.bin") { checks += try checkpointFormatChecks(g, net) }
            if exists("\(g).forward.safetensors") { checks += try forwardChecks(g, net) }
            if reference && exists("\(g).graph.safetensors") { checks += try GraphParity(runner: self, graph: g, config: net.config).run() }
            if exists("\(g).loss.safetensors") { checks += try lossChecks(g, net) }
            if exists("\(g).sampler.safetensors") { checks += try SamplerParity(runner: self, graph: g, network: net).run() }
        }
        return checks
    }

    // MARK: - Helpers shared by the fixture kinds

    public func open(_ name: String) throws -> any TensorArchive {
        do { return try openTensorArchive(at: file(name)) } catch {
            throw ModelError.weightsUnreadable(file: file(name).path, reason: error.description)
        }
    }

    /// Compares `computed` with `<key>_f64`, tolerance from the `_f64`/`_f32` pair; under bf16, tensors
    /// the network computed (`fromNetwork`) get the bf16 rule instead.
    public func check(
        _ label: String, _ computed: [Float], _ archive: any TensorArchive, _ key: String, fromNetwork: Bool = true
    ) throws -> ParityCheck {
        let r64 = try archive.readFloat64(key + "_f64")
        let r32 = archive.contains(key + "_f32") ? try archive.readFloat32(key + "_f32") : nil
        let tolerance = precision == .bf16 && fromNetwork
            ? ParityTolerance.bf16(reference64: r64) : ParityTolerance.tolerance(reference64: r64, reference32: r32)
        return ParityTolerance.compare(label, computed: computed, reference: r64, tolerance: tolerance)
    }

    // MARK: - Kinds

    func noiseChecks() throws -> [ParityCheck] {
        let a = try open("noise.safetensors")
        let t = try a.readFloat32("t_f32")
        var out: [ParityCheck] = []
        let schedules: [(String, NoiseSchedule)] = [("loglinear", .logLinear()), ("geometric", .geometric(sigmaMin: 1e-4, sigmaMax: 20))]
        for (name, noise) in schedules where a.contains("\(name).sigma_f64") {
            out.append(try check("noise.\(name).sigma", t.map(noise.total), a, "\(name).sigma"))
            out.append(try check("noise.\(name).dsigma", t.map(noise.rate), a, "\(name).dsigma"))
        }
        return out
    }

    func checkpointFormatChecks(_ g: String, _ net: SEDDNetwork) throws -> [ParityCheck] {
        let fromBin = try network(g, weights: "\(g).pytorch_model.bin")
        let a = net.parameters.buffer.array, b = fromBin.parameters.buffer.array
        let same = zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
        return [ParityCheck(name: "\(g).pytorch_model.bin equals weights.safetensors bit for bit", maxAbsError: same ? 0 : 1, maxRelError: 0, tolerance: 0)]
    }

    func forwardChecks(_ g: String, _ net: SEDDNetwork) throws -> [ParityCheck] {
        let a = try open("\(g).forward.safetensors")
        let ids = try a.readInt("indices")
        let sigma = try a.readFloat32("sigma_f32")
        let info = try a.info("indices")
        let out = net.logScores(ids: ids, sigma: sigma, batch: info.shape[0], length: info.shape[1])
        return [try check("\(g).forward.output", out, a, "output")]
    }

    func lossChecks(_ g: String, _ net: SEDDNetwork) throws -> [ParityCheck] {
        let a = try open("\(g).loss.safetensors")
        let x0 = try a.readInt("x0")
        let shape = try a.info("x0").shape
        let B = shape[0], L = shape[1], V = net.config.vocabularySize
        let graph = makeGraph(net.config)
        var out: [ParityCheck] = []
        let schedules: [(String, NoiseSchedule)] = [
            ("loglinear", .logLinear()),
            ("geometric", .geometric(sigmaMin: Float(net.config.sigmaMin), sigmaMax: Float(net.config.sigmaMax))),
        ]
        for (name, noise) in schedules where a.contains("\(name).xt") {
            // The fixture's geometric schedule is always (1e-4, 20), whatever the config says.
            let schedule = name == "geometric" ? NoiseSchedule.geometric(sigmaMin: 1e-4, sigmaMax: 20) : noise
            let t = try a.readFloat32("\(name).t_f32")
            let xt = try a.readInt("\(name).xt")
            let sigma = t.map(schedule.total), dsigma = t.map(schedule.rate)
            out.append(try check("\(g).loss.\(name).sigma", sigma, a, "\(name).sigma", fromNetwork: false))
            out.append(try check("\(g).loss.\(name).dsigma", dsigma, a, "\(name).dsigma", fromNetwork: false))
            let logs = net.logScores(ids: xt, sigma: sigma, batch: B, length: L)
            var entropy = [Float](repeating: 0, count: B * L)
            var loss = [Float](repeating: 0, count: B)
            logs.withUnsafeBufferPointer { p in
                for r in 0..<(B * L) {
                    entropy[r] = graph.scoreEntropy(p.baseAddress! + r * V, sigma: sigma[r / L], x: xt[r], x0: x0[r])
                }
            }
            for b in 0..<B {
                var s: Float = 0
                for l in 0..<L { s += dsigma[b] * entropy[b * L + l] }
                loss[b] = s
            }
            out.append(try check("\(g).loss.\(name).score_entropy", entropy, a, "\(name).score_entropy"))
            out.append(try check("\(g).loss.\(name).loss", loss, a, "\(name).loss"))
        }
        return out
    }
}
