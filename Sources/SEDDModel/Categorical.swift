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

extension Categorical {
    /// `inverseCDF` in 16-wide chunks: the total from vector sums of the positive weights, then a walk
    /// over chunk sums and a scalar walk inside the chunk the target falls in. The same distribution
    /// (only where rounding puts a boundary may a draw move to a neighbour); `inverseCDF` stays the
    /// oracle. About ten times faster over a 16k vocabulary, which the sampler draws from per position
    /// per step.
    public static func inverseCDFChunked(_ p: UnsafePointer<Float>, count: Int, uniform u: Double) -> Int {
        let zero = SIMD16<Float>(repeating: 0)
        @inline(__always) func positiveChunk(_ j: Int) -> SIMD16<Float> {
            var v = UnsafeRawPointer(p + j).loadUnaligned(as: SIMD16<Float>.self)
            v.replace(with: zero, where: .!(v .> zero))  // negatives and NaN never win
            return v
        }
        let whole = count / 16 * 16
        var total = 0.0
        var j = 0
        while j < whole { total += Double(positiveChunk(j).sum()); j += 16 }
        for k in whole..<count where p[k] > 0 { total += Double(p[k]) }
        if !(total > 0) || !total.isFinite { return firstMaximum(p, count: count) }
        let target = u * total
        var running = 0.0
        var last = -1
        j = 0
        while j < whole {
            let chunk = Double(positiveChunk(j).sum())
            if chunk > 0 {
                if running + chunk > target {
                    for k in j..<(j + 16) where p[k] > 0 {
                        running += Double(p[k])
                        last = k
                        if running > target { return k }
                    }
                    // Rounding between the chunk's vector and scalar sums: the chunk's last positive wins.
                    return last
                }
                running += chunk
                for k in stride(from: j + 15, through: j, by: -1) where p[k] > 0 { last = k; break }
            }
            j += 16
        }
        for k in whole..<count where p[k] > 0 {
            running += Double(p[k])
            last = k
            if running > target { return k }
        }
        return last >= 0 ? last : firstMaximum(p, count: count)
    }
}
