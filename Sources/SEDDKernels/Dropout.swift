/// Inverted dropout as the reference's fused `bias_dropout_add_scale` applies it in training mode:
/// each element kept with probability 1-p and scaled by 1/(1-p). The mask (0 or 1/(1-p)) is kept for
/// the backward pass, which multiplies the incoming gradient by the same mask.
public enum Dropout {
    public static func apply(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int, p: Float, rng: UnsafeMutablePointer<SeededRandom>) {
        let keep = 1 / (1 - p)
        for i in 0..<count {
            let m: Float = rng.pointee.nextFloat() < p ? 0 : keep
            mask[i] = m
            x[i] *= m
        }
    }

    public static func backward(_ dx: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { dx[i] *= mask[i] }
    }
}
