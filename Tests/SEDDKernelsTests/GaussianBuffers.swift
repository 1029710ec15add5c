import SEDDKernels

extension SeededRandom {
    /// `n` floats drawn N(0, scale^2), for kernel tests' inputs.
    mutating func gaussianBuffer(_ n: Int, scale: Double = 1) -> FloatBuffer {
        let b = FloatBuffer(count: n)
        for i in 0..<n { b[i] = Float(nextGaussian() * scale) }
        return b
    }
}
