import Foundation

/// Double-precision twins of the forward kernels, written straight from the reference's formulas.
/// They are the objectives the finite differences run on.
enum Oracle {
    /// y[M, N] = x[M, K] W[N, K]^T + b[N].
    static func linear(_ x: [Double], _ w: [Double], _ b: [Double]?, M: Int, K: Int, N: Int) -> [Double] {
        var y = [Double](repeating: 0, count: M * N)
        for i in 0..<M {
            for n in 0..<N {
                var s = b?[n] ?? 0
                for k in 0..<K { s += x[i * K + k] * w[n * K + k] }
                y[i * N + n] = s
            }
        }
        return y
    }

    /// LN(x) * w * (1 + scale[b]) + shift[b]; shift/scale read from `mod` [B, stride] at the offsets.
    static func layerNormModulated(
        _ x: [Double], _ w: [Double], _ mod: [Double], stride: Int, shiftOffset: Int, scaleOffset: Int,
        B: Int, L: Int, H: Int
    ) -> [Double] {
        var out = [Double](repeating: 0, count: B * L * H)
        for r in 0..<(B * L) {
            let b = r / L
            let row = Array(x[(r * H)..<(r * H + H)])
            let m = row.reduce(0, +) / Double(H)
            let v = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(H)
            let s = 1 / (v + 1e-5).squareRoot()
            for j in 0..<H {
                let n = (row[j] - m) * s * w[j]
                out[r * H + j] = n * (1 + mod[b * stride + scaleOffset + j]) + mod[b * stride + shiftOffset + j]
            }
        }
        return out
    }

    /// softmax(q k^T / sqrt(d)) v per sequence and head; qkv [B, L, 3, nh, d] -> [B, L, nh*d].
    static func attention(_ qkv: [Double], B: Int, L: Int, heads: Int, d: Int) -> [Double] {
        let H = heads * d
        var out = [Double](repeating: 0, count: B * L * H)
        for b in 0..<B {
            for h in 0..<heads {
                for i in 0..<L {
                    var s = [Double](repeating: 0, count: L)
                    for j in 0..<L {
                        var dotv = 0.0
                        for t in 0..<d { dotv += qkv[(b * L + i) * 3 * H + h * d + t] * qkv[(b * L + j) * 3 * H + H + h * d + t] }
                        s[j] = dotv / Double(d).squareRoot()
                    }
                    let m = s.max()!
                    let e = s.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for t in 0..<d {
                        var acc = 0.0
                        for j in 0..<L { acc += e[j] / z * qkv[(b * L + j) * 3 * H + 2 * H + h * d + t] }
                        out[(b * L + i) * H + h * d + t] = acc
                    }
                }
            }
        }
        return out
    }

    /// Half-split rotary on the q and k slots of qkv [B, L, 3, nh, d].
    static func rotary(_ qkv: [Double], B: Int, L: Int, heads: Int, d: Int) -> [Double] {
        let H = heads * d, half = d / 2
        var out = qkv
        for r in 0..<(B * L) {
            let pos = Double(r % L)
            for slot in 0..<2 {
                for h in 0..<heads {
                    let base = r * 3 * H + slot * H + h * d
                    for k in 0..<half {
                        let theta = pos / pow(10000, Double(2 * k) / Double(d))
                        let x1 = qkv[base + k], x2 = qkv[base + k + half]
                        out[base + k] = x1 * cos(theta) - x2 * sin(theta)
                        out[base + k + half] = x2 * cos(theta) + x1 * sin(theta)
                    }
                }
            }
        }
        return out
    }

    static func gelu(_ x: [Double]) -> [Double] {
        x.map { 0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }
    }

    static func silu(_ x: [Double]) -> [Double] { x.map { $0 / (1 + exp(-$0)) } }

    /// x + gate[b] * branch, gate read from `mod` [B, stride] at `offset`.
    static func gatedResidual(
        _ x: [Double], _ branch: [Double], _ mod: [Double], stride: Int, offset: Int, B: Int, L: Int, H: Int
    ) -> [Double] {
        var out = x
        for r in 0..<(B * L) {
            for j in 0..<H { out[r * H + j] += mod[(r / L) * stride + offset + j] * branch[r * H + j] }
        }
        return out
    }

    static func embedding(_ table: [Double], ids: [Int], H: Int) -> [Double] {
        ids.flatMap { Array(table[($0 * H)..<($0 * H + H)]) }
    }
}
