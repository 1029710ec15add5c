import Foundation

/// One comparison of a computed tensor against the reference's, with its tolerance.
public struct ParityCheck: Sendable {
    public var name: String
    public var maxAbsError: Double
    public var maxRelError: Double
    public var tolerance: Double
    public var firstBadIndex: Int?
    public var computedAtBad: Double?
    public var referenceAtBad: Double?
    public var passed: Bool { maxAbsError <= tolerance }

    public var line: String {
        let status = passed ? "ok  " : "FAIL"
        var s = "\(status) \(name): max abs \(fmt(maxAbsError)), max rel \(fmt(maxRelError)), tolerance \(fmt(tolerance))"
        if !passed, let i = firstBadIndex, let c = computedAtBad, let r = referenceAtBad {
            s += " (first bad index \(i): computed \(c), reference \(r))"
        }
        return s
    }

    private func fmt(_ v: Double) -> String { String(format: "%.2e", v) }
}

/// The tolerance rule, one for every float tensor (docs/parity.md explains it).
///
/// The fixtures carry each output twice, from a float64 and a float32 run of the reference. Their gap
/// is what float32 arithmetic costs on exactly these inputs, so a second float32 implementation
/// should land about as far from the float64 truth. We compare our Float result with the `_f64`
/// tensor and allow `gapFactor` times that gap, with a floor relative to the tensor's largest
/// magnitude for tensors where the two runs happen to agree. This scales with any fixture set.
public enum ParityTolerance {
    public static let gapFactor = 10.0
    public static let relativeFloor = 2e-6
    /// Gradients are stored in float64 only: the fixture README's bound, 8e-6 x max|g| per tensor.
    public static let gradientRelative = 8e-6

    /// bf16 products: unit roundoff of bf16 (8 significant bits).
    public static let bf16UnitRoundoff = 1.0 / 256
    /// The bf16 rule's multiple of that roundoff, relative to the tensor's largest magnitude
    /// (docs/parity.md, "Tolerances of the bf16 path", explains the choice).
    public static let bf16Factor = 4.0
    /// Replayed sampler races closer than this (relative) may flip under bf16.
    public static let bf16TieRelative = 0.05

    /// The bf16 path's tolerance: `bf16Factor x 2^-8 x max|ref_f64|`. Every product rounds its inputs
    /// to bf16 (relative error up to 2^-8 each); accumulation is fp32, so errors stay at a few units
    /// of bf16 roundoff of the tensor's scale rather than of each element.
    public static func bf16(reference64: [Double]) -> Double {
        let scale = reference64.reduce(0) { max($0, abs($1)) }
        return max(bf16Factor * bf16UnitRoundoff * scale, 1e-12)
    }

    public static func tolerance(reference64: [Double], reference32: [Float]?) -> Double {
        let scale = reference64.reduce(0) { max($0, abs($1)) }
        var gap = 0.0
        if let r32 = reference32 {
            for (a, b) in zip(reference64, r32) { gap = max(gap, abs(a - Double(b))) }
        }
        return max(gapFactor * gap, relativeFloor * scale, 1e-12)
    }

    /// Compares `computed` with `reference` (both flattened) under `tolerance`.
    public static func compare(_ name: String, computed: [Float], reference: [Double], tolerance: Double) -> ParityCheck {
        precondition(computed.count == reference.count, "\(name): \(computed.count) values vs reference \(reference.count)")
        var maxAbs = 0.0, maxRel = 0.0
        var bad: Int? = nil
        let scale = reference.reduce(0) { max($0, abs($1)) }
        for i in 0..<computed.count {
            let c = Double(computed[i]), r = reference[i]
            let e = c.isNaN || r.isNaN ? (c.isNaN && r.isNaN ? 0 : .infinity) : (c == r ? 0 : abs(c - r))
            maxAbs = max(maxAbs, e)
            if abs(r) >= 0.01 * scale && r != 0 { maxRel = max(maxRel, e / abs(r)) }
            if bad == nil && e > tolerance { bad = i }
        }
        return ParityCheck(
            name: name, maxAbsError: maxAbs, maxRelError: maxRel, tolerance: tolerance, firstBadIndex: bad,
            computedAtBad: bad.map { Double(computed[$0]) }, referenceAtBad: bad.map { reference[$0] })
    }
}
