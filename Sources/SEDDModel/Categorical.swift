#if canImport(Glibc)
    import Glibc
#endif

/// Draws from unnormalised categorical weights, as `catsample.sample_categorical` does.
///
/// Two ways, the same distribution: `race` is the reference's exponential race
/// `argmax p / (1e-10 - log(u + 1e-10))` with given uniforms, used to replay the reference's own draws;
/// `inverseCDF` uses one uniform per row and a Double running sum, which is cheaper over a 50k
/// vocabulary and does not truncate rare tokens the way fp32 Gumbel noise does. Entries <= 0 never
/// win while any entry is positive (as in the race); if none is positive, the first maximum wins.
public enum Categorical {
    public static func race(_ p: UnsafePointer<Float>, count: Int, uniforms: UnsafePointer<Double>) -> Int {
        var best = 0
        var bestValue = -Double.infinity
        for j in 0..<count {
            let g = 1e-10 - log(uniforms[j] + 1e-10)
            let v = Double(p[j]) / g
            if v > bestValue { bestValue = v; best = j }
        }
        return best
    }

    public static func inverseCDF(_ p: UnsafePointer<Float>, count: Int, uniform u: Double) -> Int {
        var total = 0.0
        for j in 0..<count where p[j] > 0 { total += Double(p[j]) }
        if !(total > 0) || !total.isFinite { return firstMaximum(p, count: count) }
        let target = u * total
        var running = 0.0
        var last = 0
        for j in 0..<count where p[j] > 0 {
            running += Double(p[j])
            last = j
            if running > target { return j }
        }
        return last
    }

    static func firstMaximum(_ p: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for j in 1..<max(count, 1) where p[j] > p[best] { best = j }
        return best
    }
}
