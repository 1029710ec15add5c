/// A small, fast, seedable generator (xoshiro256**, seeded through splitmix64).
///
/// Every random draw of the engine comes from one of these, passed in as an argument, so the same
/// seed gives the same sample and tests can replay exact streams. Its state can be saved and
/// restored (training checkpoints resume on the same stream).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            return Self.mix(s)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// splitmix64's finalizer: a bijective scramble of 64 bits. Hashes of (seed, step, position)
    /// draw through it where a draw must not depend on the order things are visited in.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `mix(value)` as a uniform Double in [0, 1) (its top 53 bits).
    @inline(__always)
    public static func unitInterval(hashing value: UInt64) -> Double { Double(mix(value) >> 11) * 0x1.0p-53 }

    public init(state: [UInt64]) {
        precondition(state.count == 4, "xoshiro256** has four words of state")
        self.state = (state[0], state[1], state[2], state[3])
    }

    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

    /// Standard normal (Box-Muller), for initialisation.
    public mutating func nextGaussian() -> Double {
        let u1 = max(nextDouble(), 0x1.0p-53)
        let u2 = nextDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

#if canImport(Glibc)
    import Glibc
    @inline(__always) private func _log(_ x: Double) -> Double { log(x) }
    @inline(__always) private func _cos(_ x: Double) -> Double { cos(x) }
#endif
