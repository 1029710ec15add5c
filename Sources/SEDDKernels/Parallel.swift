import Dispatch

/// How many threads the engine's own kernels and both matrix libraries (OpenBLAS, oneDNN's OpenMP) use.
///
/// Set once at start-up (`--threads`); the default is every core the process may use. Parallel work
/// is split on the outermost loop only, in contiguous chunks, so each thread streams its own rows.
public enum Parallel {
    nonisolated(unsafe) public private(set) static var threadCount: Int = defaultThreadCount()

    public static func setThreadCount(_ n: Int) {
        precondition(n >= 1, "thread count must be positive")
        threadCount = n
        GEMM.setThreads(n)
        OneDNN.setThreads(n)
    }

    static func defaultThreadCount() -> Int {
        let cores = sysconfNProcessors()
        return max(1, cores)
    }

    /// Runs `body(range)` over `0..<count` split into one contiguous chunk per thread.
    /// Small counts (below `grain` items per thread) run inline: a thread hop costs ~10 us.
    public static func forRange(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        forChunks(count, grain: grain, maxChunks: Int.max) { _, range in body(range) }
    }
}

#if canImport(Glibc)
    import Glibc
    private func sysconfNProcessors() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#else
    import Darwin
    private func sysconfNProcessors() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
#endif

extension Parallel {
    /// Like `forRange`, but also passes the chunk index (< threadCount), so each chunk can use its
    /// own preallocated scratch.
    public static func forChunks(_ count: Int, grain: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        forChunks(count, grain: grain, maxChunks: Int.max, body)
    }
}

extension Parallel {
    /// `forChunks` with at most `maxChunks` chunks (one per preallocated scratch slot).
    public static func forChunks(_ count: Int, grain: Int = 1, maxChunks: Int, _ body: (Int, Range<Int>) -> Void) {
        let threads = min(threadCount, maxChunks, max(1, count / max(grain, 1)))
        if threads <= 1 || count <= 1 {
            body(0, 0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let start = count * t / threads
            let end = count * (t + 1) / threads
            if start < end { body(t, start..<end) }
        }
    }
}
