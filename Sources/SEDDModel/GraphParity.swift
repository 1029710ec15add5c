import Foundation
import TensorFiles

/// Checks every graph function against `<graph>.graph.safetensors`.
struct GraphParity {
    let runner: ParityRunner
    let graph: String
    let config: SEDDConfig

    func run() throws -> [ParityCheck] {
        let a = try runner.open("\(graph).graph.safetensors")
        let g = makeGraph(config)
        let V = g.dim
        var out: [ParityCheck] = []

        // rate / transp_rate over rate.i: integers for absorb, floats for uniform.
        let ri = try a.readInt("rate.i")
        for (key, fn) in [("rate", g.rate), ("transp_rate", g.transpRate)] as [(String, (Int, UnsafeMutablePointer<Float>) -> Void)] {
            var rows = [Float](repeating: 0, count: ri.count * V)
            rows.withUnsafeMutableBufferPointer { p in for (n, i) in ri.enumerated() { fn(i, p.baseAddress! + n * V) } }
            if a.contains("\(key).out") {
                let ref = try a.readInt64("\(key).out").map(Double.init)
                out.append(ParityTolerance.compare("\(graph).graph.\(key)", computed: rows, reference: ref, tolerance: 0))
            } else {
                out.append(try runner.check("\(graph).graph.\(key)", rows, a, "\(key).out"))
            }
        }

        let ids = try a.readInt("i")
        let sigma = try a.readFloat32("sigma_f32"), dsigma = try a.readFloat32("dsigma_f32")
        let L = try a.info("i").shape[1]
        func perPosition(_ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
            var rows = [Float](repeating: 0, count: ids.count * V)
            rows.withUnsafeMutableBufferPointer { p in for r in 0..<ids.count { body(r, ids[r], p.baseAddress! + r * V) } }
            return rows
        }
        if a.contains("transition.out_f64") {
            let rows = perPosition { r, i, o in _ = g.transition(i, sigma: sigma[r / L], into: o) }
            out.append(try runner.check("\(graph).graph.transition", rows, a, "transition.out"))
        }
        let tt = perPosition { r, i, o in g.transpTransition(i, sigma: sigma[r / L], into: o) }
        out.append(try runner.check("\(graph).graph.transp_transition", tt, a, "transp_transition.out"))

        let stagIn = try a.readFloat32("staggered_score.score_f32")
        let stag = perPosition { r, _, o in
            stagIn.withUnsafeBufferPointer { s in g.staggeredScore(s.baseAddress! + r * V, dsigma: dsigma[r / L], into: o) }
        }
        out.append(try runner.check("\(graph).graph.staggered_score", stag, a, "staggered_score.out"))

        let revIn = try a.readFloat32("reverse_rate.score_f32")
        let rev = perPosition { r, i, o in
            revIn.withUnsafeBufferPointer { s in g.reverseRate(i, score: s.baseAddress! + r * V, into: o) }
        }
        out.append(try runner.check("\(graph).graph.reverse_rate", rev, a, "reverse_rate.out"))

        let logs = try a.readFloat32("score_entropy.log_score_f32")
        let sx = try a.readInt("score_entropy.x"), sx0 = try a.readInt("score_entropy.x0")
        let se: [Float] = logs.withUnsafeBufferPointer { p in
            (0..<sx.count).map { r in g.scoreEntropy(p.baseAddress! + r * V, sigma: sigma[r / L], x: sx[r], x0: sx0[r]) }
        }
        out.append(try runner.check("\(graph).graph.score_entropy", se, a, "score_entropy.out"))
        return out
    }
}
