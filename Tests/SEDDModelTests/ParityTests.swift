import Foundation
import SEDDModel
import XCTest

/// The engine against the reference implementation's own tensors (fixtures copied from the
/// reference run; see Fixtures/README.md for what each holds).
final class ParityTests: XCTestCase {
    static var fixtures: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }

    func testEveryFixtureKindPasses() throws {
        let checks = try ParityRunner(directory: Self.fixtures).run()
        for c in checks where !c.passed { XCTFail(c.line) }
        // Noise (4), and per graph: checkpoint format, forward, graph functions, loss, sampler.
        XCTAssertGreaterThanOrEqual(checks.count, 45, "some fixture kinds were not checked")
        XCTAssertTrue(checks.contains { $0.name == "absorb.forward.output" })
        XCTAssertTrue(checks.contains { $0.name.hasPrefix("uniform.sampler.analytic.replayed") })
    }

    func testToleranceRuleRejectsAPerturbedOutput() throws {
        // The checker must be able to fail: nudge one logit by far less than a bf16 ulp at 9.
        let runner = ParityRunner(directory: Self.fixtures)
        let net = try runner.network("absorb")
        let a = try runner.open("absorb.forward.safetensors")
        let ids = try a.readInt("indices"), sigma = try a.readFloat32("sigma_f32")
        var out = net.logScores(ids: ids, sigma: sigma, batch: 3, length: 32)
        out[100] += 1e-3
        let check = try runner.check("perturbed", out, a, "output")
        XCTAssertFalse(check.passed)
        XCTAssertEqual(check.firstBadIndex, 100)
    }

    func testPytorchCheckpointLoadsTheSameWeights() throws {
        let runner = ParityRunner(directory: Self.fixtures)
        let a = try runner.network("uniform")
        let b = try runner.network("uniform", weights: "uniform.pytorch_model.bin")
        XCTAssertTrue(a.parameters.buffer.array == b.parameters.buffer.array, "the two formats gave different weights")
    }
}
