import SEDDKernels
import SEDDModel

/// The reference's EMA of the parameters with warm-up: at update n (1-based) the decay is
/// `min(decay, (1 + n) / (10 + n))` and `shadow -= (1 - decay) * (shadow - param)`.
public final class ExponentialMovingAverage {
    public let decay: Double
    /// The averaged parameters (what the out directory's model.safetensors holds).
    public let shadow: ParameterStore
    public internal(set) var updateCount: Int = 0

    public init(parameters: ParameterStore, decay: Double = 0.9999) {
        self.decay = decay
        shadow = ParameterStore(table: parameters.table)
        shadow.copy(from: parameters)
    }

    public func update(from parameters: ParameterStore) {
        updateCount += 1
        let n = Double(updateCount)
        let d = min(decay, (1 + n) / (10 + n))
        let oneMinus = Float(1 - d)
        let s = shadow.buffer.pointer, p = parameters.buffer.pointer
        Parallel.forRange(shadow.table.count, grain: 16384) { range in
            for i in range { s[i] -= oneMinus * (s[i] - p[i]) }
        }
    }
}
