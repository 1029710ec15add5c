import Foundation
import SEDDModel

/// Checks the backward pass against the reference's `<graph>.grad.safetensors` fixtures: the gradient
/// of mean(loss) over the fixture batch with respect to every parameter (torch autograd, float64),
/// with the batch, times and perturbed tokens of `<graph>.loss.safetensors` for the noise the
/// gradient file names. One check per tensor, within 8e-6 x max|g| of that tensor, plus the loss.
public enum GradientParity {
    public static func run(_ runner: ParityRunner) throws -> [ParityCheck] {
        var checks: [ParityCheck] = []
        for g in runner.graphs where runner.exists("\(g).grad.safetensors") && runner.exists("\(g).loss.safetensors") {
            checks += try check(runner, graph: g)
        }
        return checks
    }

    static func check(_ runner: ParityRunner, graph g: String) throws -> [ParityCheck] {
        let network = try runner.network(g)
        let gradFile = try runner.open("\(g).grad.safetensors")
        let lossFile = try runner.open("\(g).loss.safetensors")
        let noiseName = gradFile.metadata["noise"] ?? (network.config.graph == .absorb ? "loglinear" : "geometric")
        let schedule: NoiseSchedule
        switch noiseName {
        case "loglinear": schedule = .logLinear()
        // The fixtures' geometric schedule is always (1e-4, 20), as in the reference config.
        case "geometric": schedule = .geometric(sigmaMin: 1e-4, sigmaMax: 20)
        default:
            throw ModelError.invalidConfig(
                file: gradFile.url.path, key: "__metadata__.noise", reason: "is '\(noiseName)'; accepted: loglinear, geometric")
        }
        let shape = try lossFile.info("x0").shape
        let B = shape[0], L = shape[1]
        let x0 = try lossFile.readInt("x0")
        let xt = try lossFile.readInt("\(noiseName).xt")
        let t = try lossFile.readFloat32("\(noiseName).t_f32")
        let sigma = t.map(schedule.total), dsigma = t.map(schedule.rate)

        let engine = LossGradient(network: network, batch: B, length: L)
        let losses = engine.compute(x0: x0, xt: xt, sigma: sigma, dsigma: dsigma)
        let mean = losses.reduce(0, +) / Double(B)

        var checks: [ParityCheck] = []
        let referenceLoss = try gradFile.readFloat64("loss_mean_f64")
        checks.append(
            ParityTolerance.compare(
                "\(g).grad.loss_mean (\(noiseName))", computed: [Float(mean)], reference: referenceLoss,
                tolerance: ParityTolerance.relativeFloor * abs(referenceLoss[0]) * 10))
        for entry in network.parameters.table.entries {
            let key = "grad." + entry.name
            guard gradFile.contains(key) else {
                throw ModelError.missingTensor(file: gradFile.url.path, key: key, expectedShape: entry.shape)
            }
            let reference = try gradFile.readFloat64(key)
            let scale = reference.reduce(0) { max($0, abs($1)) }
            checks.append(
                ParityTolerance.compare(
                    "\(g).grad.\(entry.name)", computed: engine.gradients.values(entry.name), reference: reference,
                    tolerance: max(ParityTolerance.gradientRelative * scale, 1e-12)))
        }
        return checks
    }
}
