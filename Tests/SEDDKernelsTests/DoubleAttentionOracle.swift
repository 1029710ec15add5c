import Foundation
import SEDDKernels

/// The attention tests' oracle: softmax attention in Double on bf16 heads laid out [B, heads, L, d]
/// (q, k, v), unscaled scores as the kernels receive them (the 1/sqrt(d) is folded into q upstream).
/// Returns the output in the kernels' layout, [B, L, heads * d].
enum DoubleAttentionOracle {
    static func output(
        q: UnsafePointer<UInt16>, k: UnsafePointer<UInt16>, v: UnsafePointer<UInt16>, B: Int, L: Int, heads: Int, d: Int
    ) -> [Double] {
        let H = heads * d
        var out = [Double](repeating: 0, count: B * L * H)
        func value(_ p: UnsafePointer<UInt16>, _ i: Int) -> Double { Double(BFloat16.toFloat(p[i])) }
        for b in 0..<B {
            for h in 0..<heads {
                let base = (b * heads + h) * L * d
                for i in 0..<L {
                    var s = [Double](repeating: 0, count: L)
                    for j in 0..<L {
                        for t in 0..<d { s[j] += value(q, base + i * d + t) * value(k, base + j * d + t) }
                    }
                    let m = s.max()!
                    let e = s.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for t in 0..<d {
                        var want = 0.0
                        for j in 0..<L { want += e[j] / z * value(v, base + j * d + t) }
                        out[(b * L + i) * H + h * d + t] = want
                    }
                }
            }
        }
        return out
    }
}
