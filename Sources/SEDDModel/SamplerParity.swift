import Foundation
import TensorFiles

/// Checks one step of each sampler against `<graph>.sampler.safetensors`: the probability tensor
/// handed to `sample_categorical`, and the token chosen with the reference's own uniforms.
struct SamplerParity {
    let runner: ParityRunner
    let graph: String
    let network: SEDDNetwork

    func run() throws -> [ParityCheck] {
        let a = try runner.open("\(graph).sampler.safetensors")
        let x = try a.readInt("x")
        let shape = try a.info("x").shape
        let B = shape[0], L = shape[1]
        let t = try a.readFloat32("t_f32"), denoiseT = try a.readFloat32("denoise_t_f32")
        let stepSize = try a.readFloat64("step_size_f64")[0]
        let core = SamplerCore(network: network)
        let ws = ForwardWorkspace(config: network.config, batch: B, length: L)
        let xs = x.map { Int32($0) }
        var out: [ParityCheck] = []
        let steps: [(String, SamplerCore.StepKind, [Float])] = [("euler", .euler, t), ("analytic", .analytic, t), ("denoiser", .denoise, denoiseT)]
        for (name, kind, times) in steps where a.contains("\(name).probs_f64") {
            let width = try a.info("\(name).probs_f64").shape[2]
            var probs = [Float](repeating: 0, count: B * L * width)
            probs.withUnsafeMutableBufferPointer { dst in
                xs.withUnsafeBufferPointer { xp in
                    core.visitStep(kind, ws: ws, x: xp.baseAddress!, t: times, stepSize: stepSize, allPositions: true) { r, row, count in
                        precondition(count == width, "probability row width")
                        (dst.baseAddress! + r * width).update(from: row, count: count)
                    }
                }
            }
            out.append(try runner.check("\(graph).sampler.\(name).probs", probs, a, "\(name).probs"))
            if a.contains("\(name).gumbel_uniform_f64") && a.contains("\(name).x_next_f64run") {
                out.append(try replay(name, probs: probs, width: width, a))
            }
        }
        return out
    }

    /// Replays the reference's race with its uniforms. Rows whose two best candidates are within
    /// float32 (or bf16) noise of each other may legitimately flip; those are counted, not failed.
    private func replay(_ name: String, probs: [Float], width: Int, _ a: any TensorArchive) throws -> ParityCheck {
        let u = try a.readFloat64("\(name).gumbel_uniform_f64")
        let expected = try a.readInt("\(name).x_next_f64run")
        var mismatches = 0
        var firstBad: Int? = nil
        for r in 0..<expected.count {
            let chosen = probs.withUnsafeBufferPointer { p in
                u.withUnsafeBufferPointer { uu in Categorical.race(p.baseAddress! + r * width, count: width, uniforms: uu.baseAddress! + r * width) }
            }
            if chosen != expected[r] && !nearTie(probs, u, row: r, width: width, a: chosen, b: expected[r]) {
                mismatches += 1
                if firstBad == nil { firstBad = r }
            }
        }
        return ParityCheck(
            name: "\(graph).sampler.\(name).replayed tokens (\(expected.count) positions)", maxAbsError: Double(mismatches),
            maxRelError: 0, tolerance: 0, firstBadIndex: firstBad,
            computedAtBad: nil, referenceAtBad: firstBad.map { Double(expected[$0]) })
    }

    private func nearTie(_ probs: [Float], _ u: [Double], row r: Int, width: Int, a: Int, b: Int) -> Bool {
        func key(_ j: Int) -> Double { Double(probs[r * width + j]) / (1e-10 - log(u[r * width + j] + 1e-10)) }
        let ka = key(a), kb = key(b)
        // bf16 products move probabilities by up to a few percent (ParityTolerance.bf16), so a race
        // that close may flip too.
        let tie = runner.precision == .bf16 ? ParityTolerance.bf16TieRelative : 1e-4
        return abs(ka - kb) <= tie * max(abs(ka), abs(kb))
    }
}
