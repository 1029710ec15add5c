import Foundation
import SEDDKernels
import XCTest

/// Finite-difference checking: analytic gradients from the Float kernels against central differences
/// of a Double objective, on a sample of coordinates.
///
/// The objective is `J(inputs) = sum(forward(inputs) * R)` for a fixed random projection R, so the
/// kernel's backward is fed `dy = R`. Double central differences with eps 1e-6 have an error near
/// 1e-9, far below the Float kernels' own rounding, so the tolerance only has to absorb fp32
/// arithmetic: 1e-4 of the largest sampled gradient plus 1e-4 relative.
struct GradientCheck {
    var rng = SeededRandom(seed: 12345)

    mutating func uniform(_ n: Int, scale: Double = 1) -> [Double] {
        (0..<n).map { _ in (2 * rng.nextDouble() - 1) * scale }
    }

    mutating func sample(_ count: Int, _ k: Int) -> [Int] {
        if count <= k { return Array(0..<count) }
        return (0..<k).map { _ in Int(rng.next() % UInt64(count)) }
    }

    /// Checks `analytic` (d J / d input) against central differences of `objective` at up to
    /// `samples` coordinates of `input`.
    mutating func check(
        _ name: String, analytic: [Float], input: [Double], samples: Int = 48, eps: Double = 1e-6,
        relative: Double = 1e-4, objective: ([Double]) -> Double, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(analytic.count, input.count, "\(name): gradient size", file: file, line: line)
        var x = input
        var pairs: [(Int, Double, Double)] = []
        for i in sample(input.count, samples) {
            let saved = x[i]
            x[i] = saved + eps
            let up = objective(x)
            x[i] = saved - eps
            let down = objective(x)
            x[i] = saved
            pairs.append((i, Double(analytic[i]), (up - down) / (2 * eps)))
        }
        let scale = max(pairs.map { abs($0.2) }.max() ?? 0, 1e-6)
        var worst = 0.0
        for (i, a, f) in pairs {
            let err = abs(a - f)
            worst = max(worst, err / scale)
            XCTAssertLessThanOrEqual(
                err, relative * scale + relative * abs(f),
                "\(name)[\(i)]: analytic \(a), finite difference \(f)", file: file, line: line)
        }
        // Guard against a vacuous check (an all-zero gradient would pass any relative test).
        XCTAssertGreaterThan(pairs.map { abs($0.2) }.max() ?? 0, 0, "\(name): finite differences are all zero", file: file, line: line)
    }
}

func floats(_ x: [Double]) -> [Float] { x.map { Float($0) } }

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// Asserts a Float kernel output equals the Double oracle within fp32 accuracy.
func assertClose(
    _ name: String, _ computed: [Float], _ reference: [Double], relative: Double = 1e-5,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(computed.count, reference.count, name, file: file, line: line)
    let scale = max(reference.map(abs).max() ?? 0, 1e-6)
    for i in 0..<min(computed.count, reference.count) where abs(Double(computed[i]) - reference[i]) > relative * scale {
        XCTFail("\(name)[\(i)]: computed \(computed[i]), reference \(reference[i])", file: file, line: line)
        return
    }
}
