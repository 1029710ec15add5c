import COpenBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// Matrix products through OpenBLAS, row-major, with a naive twin as the test oracle.
///
/// `C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C`. Leading dimensions are the row strides of
/// the matrices as stored (before `op`), so strided views (one head inside a packed qkv row) work.
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to SSE3 kernels (5x
/// slower) unless `OPENBLAS_CORETYPE` is set before the library loads. `recommendedCoreType()` says
/// what to set; the `sedd` executable re-executes itself once with it (see `CoreTypeLauncher`).
public enum GEMM {
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// Runs `body` with OpenBLAS on one thread when `parallel` (the caller spreads independent
    /// products over the engine's threads itself, each calling the library from its own thread), then
    /// restores the engine's thread count.
    public static func withSingleThreadedCalls(parallel: Bool, _ body: () -> Void) {
        guard parallel else { return body() }
        openblas_set_num_threads(1)
        body()
        openblas_set_num_threads(Int32(Parallel.threadCount))
    }

    /// The kernel family OpenBLAS chose at load time ("SkylakeX", "Haswell", "Prescott", ...).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// `C = alpha * op(A) * op(B) + beta * C` (row-major).
    @inline(__always)
    public static func multiply(
        transA: Bool, transB: Bool, M: Int, N: Int, K: Int,
        alpha: Float = 1, A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, C: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if M == 0 || N == 0 { return }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
    }

    /// The naive twin of `multiply`, accumulating in Double: the oracle for tests.
    public static func multiplyNaive(
        transA: Bool, transB: Bool, M: Int, N: Int, K: Int,
        alpha: Float = 1, A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, C: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<M {
            for j in 0..<N {
                var sum = 0.0
                for k in 0..<K {
                    let a = transA ? A[k * lda + i] : A[i * lda + k]
                    let b = transB ? B[j * ldb + k] : B[k * ldb + j]
                    sum += Double(a) * Double(b)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(C[i * ldc + j])
                C[i * ldc + j] = Float(Double(alpha) * sum + old)
            }
        }
    }

    /// Environment for OpenBLAS's idle threads, read when the library loads: they spin for 2^n cycles
    /// after each product before sleeping, 2^28 (~0.1 s) by default. 2^20 (~0.4 ms) still bridges
    /// back-to-back products but stops them from holding a core between requests, or from competing
    /// with the engine's own threads during the kernels between products.
    public static let recommendedEnvironment: [(name: String, value: String)] = [("OPENBLAS_THREAD_TIMEOUT", "20")]

    /// The `OPENBLAS_CORETYPE` this processor should use, from its CPU flags, or nil when the
    /// library's own detection is fine (or the flags cannot be read).
    public static func recommendedCoreType(cpuinfo: String? = readCPUInfo()) -> String? {
        guard let flags = cpuFlags(cpuinfo) else { return nil }
        if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The words of cpuinfo's first `flags` line, or nil when there is none.
    public static func cpuFlags(_ cpuinfo: String?) -> Set<String>? {
        guard let info = cpuinfo, let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return nil }
        return Set(line.split(separator: " ").map(String.init))
    }

    public static func readCPUInfo() -> String? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var text = ""
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), file) != nil {
            let s = String(cString: line)
            text += s
            if s.hasPrefix("flags") { break }
        }
        return text
    }
}
