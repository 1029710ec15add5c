import CDNNL

#if canImport(Glibc)
    import Glibc
#endif

/// The process's oneDNN CPU engine and stream, its thread count, and what the processor offers.
///
/// oneDNN (Debian's libdnnl 2.6, OpenMP runtime) runs the bf16 matrix products on AMX tiles. Its
/// OpenMP threads follow `Parallel.setThreadCount` (through libgomp's `omp_set_num_threads`, looked
/// up at run time because the library brings libgomp in and no header declares it to Swift). Idle
/// OpenMP threads must sleep, not spin: the `sedd` launcher sets `OMP_WAIT_POLICY=passive` before
/// the library loads (see `recommendedEnvironment`).
public enum OneDNN {
    /// The engine and stream every primitive runs on; nil when oneDNN cannot create a CPU engine.
    nonisolated(unsafe) static let context: (engine: dnnl_engine_t, stream: dnnl_stream_t)? = {
        var engine: dnnl_engine_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine else { return nil }
        var stream: dnnl_stream_t?
        guard dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)) == dnnl_success,
            let stream
        else { return nil }
        return (engine, stream)
    }()

    /// True when a CPU engine exists (the library loaded and found a usable processor).
    public static var isAvailable: Bool { context != nil }

    /// Sets the OpenMP team size oneDNN uses for primitives created and run after this call.
    public static func setThreads(_ n: Int) {
        typealias SetThreads = @convention(c) (Int32) -> Void
        guard let symbol = dlsym(nil /* RTLD_DEFAULT on glibc */, "omp_set_num_threads")
        else { return }
        unsafeBitCast(symbol, to: SetThreads.self)(Int32(n))
    }

    /// Whether the processor multiplies bf16 in hardware: AMX tiles (cpuinfo flags `amx_bf16` and
    /// `amx_tile`) or AVX512_BF16 dot products (`avx512_bf16`), both of which oneDNN uses; where only
    /// AVX512_BF16 is there, bf16 still runs several times faster than fp32 (docs/performance.md,
    /// "bf16 without AMX").
    public static func processorMultipliesBF16(cpuinfo: String? = GEMM.readCPUInfo()) -> Bool {
        guard let flags = GEMM.cpuFlags(cpuinfo) else { return false }
        return (flags.contains("amx_bf16") && flags.contains("amx_tile")) || flags.contains("avx512_bf16")
    }

    /// Environment the launcher sets before the libraries load (they read it in constructors):
    /// OpenMP threads that sleep when idle instead of spinning for a while after each primitive.
    public static let recommendedEnvironment: [(name: String, value: String)] = [("OMP_WAIT_POLICY", "passive")]

    /// `dims` as oneDNN's fixed-size dimension array.
    static func dims(_ values: [Int]) -> [dnnl_dim_t] {
        precondition(values.count <= Int(DNNL_MAX_NDIMS), "too many dimensions for oneDNN")
        return values.map { dnnl_dim_t($0) } + [dnnl_dim_t](repeating: 0, count: Int(DNNL_MAX_NDIMS) - values.count)
    }

    /// A strided memory descriptor (strides in elements).
    static func descriptor(dims d: [Int], strides: [Int], type: dnnl_data_type_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let status = dnnl_memory_desc_init_by_strides(&md, Int32(d.count), dims(d), type, dims(strides))
        precondition(status == dnnl_success, "oneDNN rejected a memory layout \(d) / \(strides): status \(status.rawValue)")
        return md
    }

    /// A descriptor whose layout the primitive chooses (`format_tag::any`).
    static func anyDescriptor(dims d: [Int], type: dnnl_data_type_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let status = dnnl_memory_desc_init_by_tag(&md, Int32(d.count), dims(d), type, dnnl_format_tag_any)
        precondition(status == dnnl_success, "oneDNN rejected dims \(d): status \(status.rawValue)")
        return md
    }

    /// Checks a status of a call whose inputs the engine built itself (a failure is a bug or an
    /// exhausted machine, not bad user input).
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN: \(what()) failed with status \(status.rawValue)")
    }
}

/// A 64-byte aligned block of raw bytes owned by one object (packed weights, bf16 activations,
/// primitive scratchpads).
public final class ByteBuffer {
    public let byteCount: Int
    public let pointer: UnsafeMutableRawPointer

    public init(byteCount: Int) {
        self.byteCount = byteCount
        pointer = .allocate(byteCount: max(byteCount, 64), alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 64))
    }

    deinit { pointer.deallocate() }

    /// The bytes as bf16 values (raw 16-bit patterns).
    public var bf16: UnsafeMutablePointer<UInt16> { pointer.assumingMemoryBound(to: UInt16.self) }
}
