import CDNNL

#if canImport(Glibc)
    import Glibc
#endif

/// A linear layer's weight `W[N, K]` (PyTorch layout, `y = x W^T`) held in bf16 twice: plain
/// row-major (the backward's `dx = dy W` reads it) and in the blocked layout oneDNN's AMX matmul
/// prefers for the forward's `x W^T` (chosen by the primitive through `format_tag::any`, filled by one
/// reorder). `refresh(from:)` rebuilds both from fp32 master weights, e.g. after an optimizer step;
/// training passes `pack: false` (the blocked copy pays off only when reused: the forward reads the
/// plain copy directly, about 10% slower per product, and skips the reorder on every step).
public final class PackedBF16Weights {
    public let N: Int
    public let K: Int
    /// [N, K] bf16, row-major.
    public let plain: ByteBuffer
    /// The blocked copy (padded; its size is oneDNN's).
    let packed: ByteBuffer
    /// The oneDNN memory object over `packed`, passed to matmuls as their weights.
    let memory: dnnl_memory_t
    private let reorder: dnnl_primitive_t
    private let reorderSource: dnnl_memory_t
    /// Whether `packed` matches `plain` (false after a refresh without packing).
    public private(set) var packedIsCurrent = false

    public init(N: Int, K: Int) {
        guard let (engine, _) = OneDNN.context else { preconditionFailure("oneDNN has no CPU engine") }
        self.N = N
        self.K = K
        plain = ByteBuffer(byteCount: N * K * 2)
        var packedMD = PackedLayouts.descriptor(K: K, N: N)
        packed = ByteBuffer(byteCount: dnnl_memory_desc_get_size(&packedMD))
        // The logical weights of y = x W^T are W^T [K, N]: the plain [N, K] buffer read with strides (1, K).
        var plainMD = OneDNN.descriptor(dims: [K, N], strides: [1, K], type: dnnl_bf16)
        var m: dnnl_memory_t?
        OneDNN.check(dnnl_memory_create(&m, &packedMD, engine, packed.pointer), "memory_create (packed weights)")
        memory = m!
        var source: dnnl_memory_t?
        OneDNN.check(dnnl_memory_create(&source, &plainMD, engine, plain.pointer), "memory_create (plain weights)")
        reorderSource = source!
        var pd: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_reorder_primitive_desc_create(&pd, &plainMD, engine, &packedMD, engine, nil), "reorder pd")
        defer { dnnl_primitive_desc_destroy(pd) }
        var prim: dnnl_primitive_t?
        OneDNN.check(dnnl_primitive_create(&prim, pd), "reorder primitive")
        reorder = prim!
    }

    deinit {
        dnnl_primitive_destroy(reorder)
        dnnl_memory_destroy(reorderSource)
        dnnl_memory_destroy(memory)
    }

    /// Bytes held (both copies).
    public var byteCount: Int { plain.byteCount + packed.byteCount }

    /// Rounds the fp32 weights `[N, K]` to bf16 (nearest even) and, if `pack`, repacks.
    public func refresh(from weights: UnsafePointer<Float>, pack: Bool = true) {
        BFloat16.convert(weights, to: plain.bf16, count: N * K)
        if pack { repack() } else { packedIsCurrent = false }
    }

    /// Repacks if the blocked copy is behind the plain one.
    public func ensurePacked() { if !packedIsCurrent { repack() } }

    /// Rebuilds the blocked copy from `plain`.
    public func repack() {
        guard let (_, stream) = OneDNN.context else { return }
        var args = [
            dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: reorderSource),
            dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: memory),
        ]
        OneDNN.check(dnnl_primitive_execute(reorder, stream, 2, &args), "reorder execute")
        OneDNN.check(dnnl_stream_wait(stream), "stream wait")
        packedIsCurrent = true
    }
}

/// The blocked weight layout oneDNN picks for a bf16 `[M, K] x [K, N]` product, per (K, N).
///
/// It is asked once with a reference M and then given explicitly to every product with those weights:
/// the layout does not depend on M (checked for M = 1 to 2048 on oneDNN 2.6 with AMX), and an explicit
/// layout lets every M share one packed copy.
enum PackedLayouts {
    struct Key: Hashable { var K: Int; var N: Int }
    nonisolated(unsafe) private static var cache: [Key: dnnl_memory_desc_t] = [:]
    nonisolated(unsafe) private static var lock: pthread_mutex_t = {
        var m = pthread_mutex_t()
        pthread_mutex_init(&m, nil)
        return m
    }()

    static func descriptor(K: Int, N: Int) -> dnnl_memory_desc_t {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let md = cache[Key(K: K, N: N)] { return md }
        guard let (engine, _) = OneDNN.context else { preconditionFailure("oneDNN has no CPU engine") }
        let M = 256
        var a = OneDNN.descriptor(dims: [M, K], strides: [K, 1], type: dnnl_bf16)
        var b = OneDNN.anyDescriptor(dims: [K, N], type: dnnl_bf16)
        var c = OneDNN.descriptor(dims: [M, N], strides: [N, 1], type: dnnl_f32)
        var op = dnnl_matmul_desc_t()
        OneDNN.check(dnnl_matmul_desc_init(&op, &a, &b, nil, &c), "matmul_desc_init (packing)")
        var pd: dnnl_primitive_desc_t?
        OneDNN.check(withUnsafeMutableBytes(of: &op) { dnnl_primitive_desc_create(&pd, $0.baseAddress, nil, engine, nil) }, "matmul pd (packing)")
        defer { dnnl_primitive_desc_destroy(pd) }
        let md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)!.pointee
        cache[Key(K: K, N: N)] = md
        return md
    }
}
