import CDNNL

#if canImport(Glibc)
    import Glibc
#endif

/// Matrix products run whole on the calling thread, from inside one of the engine's own parallel
/// regions (`Parallel.forChunks`): each chunk index ("slot") has its own primitive, scratchpad and
/// stream.
///
/// Why: a oneDNN primitive splits its work for the OpenMP team size it saw when it was created, and
/// each call is a parallel region of its own (threads woken, a barrier at the end). Small products
/// inside a fused kernel (one head's row block of attention) would pay that for every call. A
/// primitive created while the creating thread's OpenMP team size is one plans a single thread and
/// runs inline (oneDNN's `parallel(1, f)` calls `f(0, 1)` without starting a region), so several
/// threads can each run their own at once.
public enum DNNLMatmulPerThread {
    private struct Key: Hashable {
        var description: MatmulDescription
        var slot: Int
    }

    nonisolated(unsafe) private static var primitives: [Key: MatmulPrimitive] = [:]
    nonisolated(unsafe) private static var streams: [Int: dnnl_stream_t] = [:]
    nonisolated(unsafe) private static var lock: pthread_mutex_t = {
        var m = pthread_mutex_t()
        pthread_mutex_init(&m, nil)
        return m
    }()

    /// The primitive and stream of `slot` for `d`, created on first use with a one-thread plan.
    private static func primitive(_ d: MatmulDescription, slot: Int) -> (MatmulPrimitive, dnnl_stream_t) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        let stream: dnnl_stream_t
        if let s = streams[slot] {
            stream = s
        } else {
            guard let (engine, _) = OneDNN.context else { preconditionFailure("oneDNN has no CPU engine") }
            var s: dnnl_stream_t?
            OneDNN.check(dnnl_stream_create(&s, engine, UInt32(dnnl_stream_default_flags.rawValue)), "stream_create")
            streams[slot] = s!
            stream = s!
        }
        let key = Key(description: d, slot: slot)
        if let p = primitives[key] { return (p, stream) }
        let p = OneDNN.withOneOpenMPThread { MatmulPrimitive(d) }
        primitives[key] = p
        return (p, stream)
    }

    /// Runs `d` (plain strided operands) on the calling thread with the primitive of `slot`. Two
    /// threads must not use the same slot at once (each primitive serialises its calls anyway).
    public static func run(
        _ d: MatmulDescription, slot: Int, a: UnsafeRawPointer, b: UnsafeRawPointer, c: UnsafeMutableRawPointer
    ) {
        precondition(d.b != nil, "per-thread products take plain operands")
        if d.M == 0 || d.N == 0 { return }
        let (p, stream) = primitive(d, slot: slot)
        p.run(a: a, b: b, packed: nil, c: c, bias: nil, stream: stream)
    }

    /// Runs `d` with B given as packed bf16 weights (`y = x W^T`, `LinearBF16`'s forward) on the
    /// calling thread with the primitive of `slot`.
    public static func run(
        _ d: MatmulDescription, slot: Int, a: UnsafeRawPointer, weights: PackedBF16Weights,
        c: UnsafeMutableRawPointer, bias: UnsafePointer<Float>?
    ) {
        precondition(d.b == nil, "description expects plain weights")
        if d.M == 0 || d.N == 0 { return }
        let (p, stream) = primitive(d, slot: slot)
        p.run(a: a, b: nil, packed: weights, c: c, bias: bias, stream: stream)
    }

    /// Number of per-thread primitives created so far (tests check that shapes are reused).
    public static var cachedCount: Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return primitives.count
    }
}

extension OneDNN {
    /// Runs `body` with the calling thread's OpenMP team size (libgomp's per-thread `nthreads-var`)
    /// set to one, then restores it, so primitives created in `body` plan a single thread.
    static func withOneOpenMPThread<T>(_ body: () -> T) -> T {
        typealias GetThreads = @convention(c) () -> Int32
        typealias SetThreads = @convention(c) (Int32) -> Void
        guard let get = dlsym(nil, "omp_get_max_threads"), let set = dlsym(nil, "omp_set_num_threads") else {
            return body()
        }
        let before = unsafeBitCast(get, to: GetThreads.self)()
        unsafeBitCast(set, to: SetThreads.self)(1)
        defer { unsafeBitCast(set, to: SetThreads.self)(before) }
        return body()
    }
}
