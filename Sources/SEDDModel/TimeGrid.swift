/// The sampler's time grid: `torch.linspace(1, eps, steps + 1)` in fp32, reproduced with torch's own
/// two-sided formula (start + i*step for the first half, end - (n-1-i)*step for the rest), and the
/// step size `(1 - eps) / steps` the reference keeps as a Python float.
public struct TimeGrid: Sendable {
    public let times: [Float]
    public let stepSize: Double

    public init(steps: Int, eps: Double = 1e-5) {
        precondition(steps >= 1, "at least one step")
        let n = steps + 1
        let start: Float = 1, end = Float(eps)
        let step = (end - start) / Float(n - 1)
        let half = n / 2
        times = (0..<n).map { i in i < half ? start + step * Float(i) : end - step * Float(n - 1 - i) }
        stepSize = (1 - eps) / Double(steps)
    }
}
