import Foundation
import SEDDKernels
import SEDDModel

/// AdamW exactly as PyTorch's single-tensor implementation computes it, over the flat parameter
/// buffer: decoupled weight decay, then the moments, then a bias-corrected step
/// `p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
public final class AdamW {
    public struct Hyperparameters: Sendable, Equatable {
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-8
        public var weightDecay: Float = 0
        public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }
    }

    public let hyper: Hyperparameters
    /// First and second moments, same layout as the parameters.
    public let m: FloatBuffer
    public let v: FloatBuffer
    /// Number of updates applied (torch's per-parameter `step`); skipped steps do not count.
    public internal(set) var stepCount: Int = 0

    public init(count: Int, hyper: Hyperparameters = Hyperparameters()) {
        self.hyper = hyper
        m = FloatBuffer(count: count)
        v = FloatBuffer(count: count)
    }

    /// One update of `parameters` with `gradients` at learning rate `lr`.
    public func update(_ parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int, lr: Float) {
        precondition(count == m.count, "AdamW state has another size")
        stepCount += 1
        let b1 = hyper.beta1, b2 = hyper.beta2, eps = hyper.epsilon
        // torch computes the bias corrections in Python floats (double), then uses them as scalars.
        let bias1 = 1 - pow(Double(b1), Double(stepCount))
        let bias2Sqrt = (1 - pow(Double(b2), Double(stepCount))).squareRoot()
        let stepSize = Float(Double(lr) / bias1)
        let decay = 1 - lr * hyper.weightDecay
        let invBias2Sqrt = Float(bias2Sqrt)
        let mp = m.pointer, vp = v.pointer
        Parallel.forRange(count, grain: 16384) { range in
            for i in range {
                let g = gradients[i]
                if decay != 1 { parameters[i] *= decay }
                mp[i] += (g - mp[i]) * (1 - b1)  // torch: exp_avg.lerp_(grad, 1 - beta1)
                vp[i] = vp[i] * b2 + (1 - b2) * g * g
                let denom = vp[i].squareRoot() / invBias2Sqrt + eps
                parameters[i] -= stepSize * mp[i] / denom
            }
        }
    }
}

/// The reference's learning-rate schedule: linear warmup on the post-increment step count (the first
/// update uses lr / warmup), then constant.
public func warmupLearningRate(base: Float, step: Int, warmup: Int) -> Float {
    guard warmup > 0 else { return base }
    return base * Float(min(Double(step) / Double(warmup), 1))
}

/// The warmup schedule, optionally ending in a linear cooldown: over the last `cooldown` steps of a
/// run of `lastStep` steps the rate falls in equal steps from the peak towards zero (the last step
/// uses peak / cooldown). Annealing the rate at the end of a long constant stretch lowers the loss
/// beyond what the constant rate reaches (warmup-stable-decay); `cooldown` 0 is the reference's
/// schedule. Counted on the same post-increment step as the warmup.
public func scheduledLearningRate(base: Float, step: Int, warmup: Int, cooldown: Int, lastStep: Int) -> Float {
    let rate = warmupLearningRate(base: base, step: step, warmup: warmup)
    guard cooldown > 0, step > lastStep - cooldown else { return rate }
    // The fraction first, so the cooldown's first step keeps the peak exactly ((rate * n) / n need not).
    return rate * (Float(max(lastStep - step + 1, 0)) / Float(cooldown))
}
