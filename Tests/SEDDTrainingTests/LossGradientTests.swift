import Foundation
import SEDDKernels
import SEDDModel
import SEDDTraining
import XCTest

/// The score-entropy gradient of both graphs, the whole loss's gradient on a tiny model (finite
/// differences) and the reference's gradient fixtures.
final class LossGradientTests: XCTestCase {
    // MARK: - Score entropy, per position

    /// The reference's score entropy in Double (spec 3.1 and 3.2).
    static func scoreEntropy(_ s: [Double], sigma: Double, x: Int, x0: Int, absorbing: Bool) -> Double {
        let e = sigma < 0.5 ? expm1(sigma) : exp(sigma) - 1
        if absorbing {
            let mask = s.count - 1
            guard x == mask else { return 0 }
            let ratio = 1 / e
            return s[..<mask].reduce(0) { $0 + exp($1) } - ratio * s[x0] + ratio * (log(ratio) - 1)
        }
        let n = Double(s.count)
        let ratio = 1 - n / (e + n)
        let neg0 = s.reduce(0, +) / n - s[x] / n
        let pos = s.reduce(0) { $0 + exp($1) } / n - exp(s[x]) / n
        if x == x0 { return pos - ratio * neg0 + (n - 1) / n * ratio * (log(ratio) - 1) }
        return pos - (s[x0] / e + neg0) + ((-log(ratio) - 1) / ratio - (n - 2)) / n
    }

    func testScoreEntropyGradientOfBothGraphs() {
        var gc = GradientCheck()
        let V = 23
        let cases: [(any DiffusionGraph, Bool)] = [(AbsorbingGraph(tokens: V - 1), true), (UniformGraph(tokens: V), false)]
        for (graph, absorbing) in cases {
            let mask = V - 1
            // (sigma, x, x0): both sides of the expm1 switch; masked, unchanged and moved positions.
            let positions: [(Double, Int, Int)] = absorbing
                ? [(0.05, mask, 4), (0.7, mask, 0), (3.0, mask, 21), (1.0, 7, 7)]
                : [(0.05, 3, 3), (0.7, 3, 9), (3.0, 0, 22), (6.0, 22, 22)]
            for (sigma, x, x0) in positions {
                let s = gc.uniform(V, scale: 2)
                let weight = 0.37
                let sb = FloatBuffer(floats(s)), grad = FloatBuffer(count: V)
                let value = graph.scoreEntropy(sb.pointer, sigma: Float(sigma), x: x, x0: x0)
                let reference = Self.scoreEntropy(s, sigma: Double(Float(sigma)), x: x, x0: x0, absorbing: absorbing)
                XCTAssertEqual(Double(value), reference, accuracy: 1e-5 * max(1, abs(reference)))
                graph.scoreEntropyGradient(sb.pointer, sigma: Float(sigma), x: x, x0: x0, weight: Float(weight), into: grad.pointer)
                if absorbing && x != mask {
                    XCTAssertTrue(grad.array.allSatisfy { $0 == 0 }, "unmasked positions carry no loss")
                    continue
                }
                gc.check("\(absorbing ? "absorb" : "uniform").scoreEntropy(sigma \(sigma), x \(x), x0 \(x0))",
                         analytic: grad.array, input: s) {
                    weight * Self.scoreEntropy($0, sigma: Double(Float(sigma)), x: x, x0: x0, absorbing: absorbing)
                }
            }
        }
    }

    // MARK: - The whole loss on a tiny model

    /// A tiny model with every parameter random (the reference zero-initialises adaLN and the output
    /// layer, which would leave most gradients exactly zero and the check vacuous).
    static func tinyNetwork(_ graph: GraphKind, seed: UInt64) -> SEDDNetwork {
        let config = SEDDConfig(
            tokens: 11, graph: graph, noise: graph == .absorb ? .loglinear : .geometric, name: "tiny",
            hiddenSize: 12, condDim: 5, heads: 2, blocks: 2, length: 7, dropout: 0.1)
        let store = ParameterStore(table: ParameterTable(config: config))
        var rng = SeededRandom(seed: seed)
        for e in store.table.entries {
            let p = store.pointer(e.name)
            let isNorm = e.name.hasSuffix("norm1.weight") || e.name.hasSuffix("norm2.weight") || e.name.hasSuffix("norm_final.weight")
            for i in 0..<e.count { p[i] = Float(isNorm ? 1 + 0.1 * rng.nextGaussian() : 0.3 * rng.nextGaussian()) }
        }
        return SEDDNetwork(config: config, parameters: store)
    }

    func testWholeLossGradientMatchesFiniteDifferences() {
        for graph in [GraphKind.absorb, .uniform] {
            let net = Self.tinyNetwork(graph, seed: graph == .absorb ? 1 : 2)
            let B = 2, L = 7, V = net.config.vocabularySize
            var rng = SeededRandom(seed: 77)
            let x0 = (0..<(B * L)).map { _ in Int(rng.next() % UInt64(net.config.tokens)) }
            var xt = x0
            for i in stride(from: 0, to: B * L, by: 2) {
                xt[i] = graph == .absorb ? V - 1 : Int(rng.next() % UInt64(V))
            }
            let noise = NoiseSchedule(config: net.config)
            let t: [Float] = [0.3, 0.8]
            let sigma = t.map(noise.total), dsigma = t.map(noise.rate)
            let engine = LossGradient(network: net, batch: B, length: L)
            // Dropout on, replaying the same masks at every evaluation (the same seed).
            func meanLoss() -> Double {
                var drop = SeededRandom(seed: 5)
                return withUnsafeMutablePointer(to: &drop) { rng in
                    engine.loss(x0: x0, xt: xt, sigma: sigma, dsigma: dsigma, dropout: (0.1, rng)).reduce(0, +) / Double(B)
                }
            }
            var drop = SeededRandom(seed: 5)
            let losses = withUnsafeMutablePointer(to: &drop) { rng in
                engine.compute(x0: x0, xt: xt, sigma: sigma, dsigma: dsigma, dropout: (0.1, rng))
            }
            XCTAssertEqual(losses.reduce(0, +) / Double(B), meanLoss(), accuracy: 1e-9, "compute and loss agree")
            let grads = engine.gradients
            let params = net.parameters

            // 1. Directional derivatives along random directions over every parameter at once: the fp32
            // loss differences are large there, so the check can be tight.
            var dirRng = SeededRandom(seed: 31)
            for _ in 0..<3 {
                let n = params.table.count
                let v = (0..<n).map { _ in Float(dirRng.nextGaussian()) }
                let saved = params.buffer.array
                var analytic = 0.0
                for i in 0..<n { analytic += Double(grads.buffer[i]) * Double(v[i]) }
                let eps: Float = 1e-3
                for i in 0..<n { params.buffer[i] = saved[i] + eps * v[i] }
                let up = meanLoss()
                for i in 0..<n { params.buffer[i] = saved[i] - eps * v[i] }
                let down = meanLoss()
                for i in 0..<n { params.buffer[i] = saved[i] }
                let fd = (up - down) / Double(2 * eps)
                XCTAssertEqual(analytic, fd, accuracy: 2e-3 * abs(fd), "\(graph): directional derivative")
            }

            // 2. Sampled coordinates of every tensor, judged against the tensor's largest gradient.
            var pick = SeededRandom(seed: 3)
            for e in params.table.entries {
                let g = grads.values(e.name)
                let scale = g.map { abs(Double($0)) }.max() ?? 0
                XCTAssertGreaterThan(scale, 0, "\(graph): \(e.name) has an all-zero gradient")
                let largest = g.indices.max { abs(g[$0]) < abs(g[$1]) }!
                for i in [largest, Int(pick.next() % UInt64(e.count))] {
                    let p = params.pointer(e.name) + i
                    let saved = p.pointee
                    let eps: Float = 3e-3
                    p.pointee = saved + eps
                    let up = meanLoss()
                    p.pointee = saved - eps
                    let down = meanLoss()
                    p.pointee = saved
                    let fd = (up - down) / Double(2 * eps)
                    XCTAssertEqual(Double(g[i]), fd, accuracy: 1e-2 * scale + 1e-2 * abs(fd) + 2e-4,
                                   "\(graph): \(e.name)[\(i)]")
                }
            }
        }
    }

    // MARK: - Reference fixtures

    func testGradientsMatchTheReferenceFixtures() throws {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let checks = try GradientParity.run(ParityRunner(directory: dir))
        // Both graphs: the loss and each of the 30 parameter tensors of the fixture model.
        XCTAssertEqual(checks.count, 2 * 31)
        for c in checks { XCTAssertTrue(c.passed, c.line) }
        XCTAssertTrue(checks.contains { $0.name == "uniform.grad.blocks.1.attn_qkv.weight" })
    }
}
