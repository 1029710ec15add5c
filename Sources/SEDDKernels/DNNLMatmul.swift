import CDNNL

#if canImport(Glibc)
    import Glibc
#endif

/// Element type and layout of one matrix-product operand: strides in elements for the batch, row and
/// column axes (row-major `[rows, cols]` has strides `(rows * cols, cols, 1)`; a transposed view of a
/// row-major buffer swaps the row and column strides).
public struct MatmulOperand: Hashable, Sendable {
    public enum Element: Hashable, Sendable { case f32, bf16 }
    public var element: Element
    public var batchStride: Int
    public var rowStride: Int
    public var colStride: Int

    public init(_ element: Element, rowStride: Int, colStride: Int = 1, batchStride: Int = 0) {
        self.element = element
        self.rowStride = rowStride
        self.colStride = colStride
        self.batchStride = batchStride
    }

    var dnnlType: dnnl_data_type_t { element == .f32 ? dnnl_f32 : dnnl_bf16 }
}

/// One oneDNN matrix product `C[batch, M, N] (+)= A[batch, M, K] * B[batch, K, N] (+ bias[N])`,
/// optionally followed by GELU (tanh). `b == nil` means B is a `PackedBF16Weights` of shape (K, N).
public struct MatmulDescription: Hashable, Sendable {
    public var batch: Int
    public var M: Int
    public var N: Int
    public var K: Int
    public var a: MatmulOperand
    public var b: MatmulOperand?
    public var c: MatmulOperand
    public var bias: Bool
    /// C += A * B (oneDNN's sum post-op) instead of C = A * B.
    public var accumulate: Bool
    public var gelu: Bool
    /// Multiplies the product (before bias and post-ops) by this constant.
    public var scale: Float

    public init(
        batch: Int = 1, M: Int, N: Int, K: Int, a: MatmulOperand, b: MatmulOperand?, c: MatmulOperand,
        bias: Bool = false, accumulate: Bool = false, gelu: Bool = false, scale: Float = 1
    ) {
        self.scale = scale
        self.batch = batch
        self.M = M
        self.N = N
        self.K = K
        self.a = a
        self.b = b
        self.c = c
        self.bias = bias
        self.accumulate = accumulate
        self.gelu = gelu
    }
}

/// A created oneDNN matmul primitive with its memory objects, scratchpad and argument list, reused
/// for every call of its description (creating one costs milliseconds; running one allocates nothing).
final class MatmulPrimitive {
    let description: MatmulDescription
    private let primitive: dnnl_primitive_t
    private let srcMemory: dnnl_memory_t
    private let weightsMemory: dnnl_memory_t?  // nil for packed weights: each PackedBF16Weights owns one
    private let dstMemory: dnnl_memory_t
    private let biasMemory: dnnl_memory_t?
    private let scratchpad: ByteBuffer
    private let args: UnsafeMutablePointer<dnnl_exec_arg_t>
    private let argCount: Int
    private var lock = pthread_mutex_t()

    init(_ d: MatmulDescription) {
        guard let (engine, _) = OneDNN.context else { preconditionFailure("oneDNN has no CPU engine") }
        description = d
        // Batched products are described in 4D with a leading 1: oneDNN 2.6's AMX kernel accepts a
        // permuted 4D layout (acbd: heads interleaved in a row) but sends the same 3D one (bac) to a
        // slower generic gemm.
        let batched = d.batch > 1
        func shape(_ r: Int, _ c: Int) -> [Int] { batched ? [1, d.batch, r, c] : [r, c] }
        func strides(_ o: MatmulOperand, _ r: Int, _ c: Int) -> [Int] {
            let outer = max(o.batchStride * d.batch, o.rowStride * r, o.colStride * c)
            return batched ? [outer, o.batchStride, o.rowStride, o.colStride] : [o.rowStride, o.colStride]
        }
        var aMD = OneDNN.descriptor(dims: shape(d.M, d.K), strides: strides(d.a, d.M, d.K), type: d.a.dnnlType)
        var bMD: dnnl_memory_desc_t
        if let b = d.b {
            bMD = OneDNN.descriptor(dims: shape(d.K, d.N), strides: strides(b, d.K, d.N), type: b.dnnlType)
        } else {
            precondition(!batched, "packed weights are two-dimensional")
            bMD = PackedLayouts.descriptor(K: d.K, N: d.N)
        }
        var cMD = OneDNN.descriptor(dims: shape(d.M, d.N), strides: strides(d.c, d.M, d.N), type: d.c.dnnlType)
        var biasMD = OneDNN.descriptor(dims: batched ? [1, 1, 1, d.N] : [1, d.N], strides: batched ? [d.N, d.N, d.N, 1] : [d.N, 1], type: dnnl_f32)

        var op = dnnl_matmul_desc_t()
        let initStatus = d.bias
            ? dnnl_matmul_desc_init(&op, &aMD, &bMD, &biasMD, &cMD) : dnnl_matmul_desc_init(&op, &aMD, &bMD, nil, &cMD)
        OneDNN.check(initStatus, "matmul_desc_init \(d)")
        var attr: dnnl_primitive_attr_t?
        OneDNN.check(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attr) }
        OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode")
        if d.scale != 1 {
            var scale = d.scale
            OneDNN.check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &scale), "output scale")
        }
        if d.accumulate || d.gelu {
            var postOps: dnnl_post_ops_t?
            OneDNN.check(dnnl_post_ops_create(&postOps), "post_ops_create")
            defer { dnnl_post_ops_destroy(postOps) }
            if d.accumulate { OneDNN.check(dnnl_post_ops_append_sum(postOps, 1), "sum post-op") }
            if d.gelu { OneDNN.check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_gelu_tanh, 0, 0), "gelu post-op") }
            OneDNN.check(dnnl_primitive_attr_set_post_ops(attr, postOps), "set post-ops")
        }
        var pd: dnnl_primitive_desc_t?
        OneDNN.check(withUnsafeMutableBytes(of: &op) { dnnl_primitive_desc_create(&pd, $0.baseAddress, attr, engine, nil) }, "matmul primitive_desc_create \(d)")
        defer { dnnl_primitive_desc_destroy(pd) }
        var prim: dnnl_primitive_t?
        OneDNN.check(dnnl_primitive_create(&prim, pd), "primitive_create")
        primitive = prim!

        let scratchMD = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)!
        scratchpad = ByteBuffer(byteCount: dnnl_memory_desc_get_size(scratchMD))
        func memory(_ md: UnsafePointer<dnnl_memory_desc_t>, _ handle: UnsafeMutableRawPointer?) -> dnnl_memory_t {
            var m: dnnl_memory_t?
            OneDNN.check(dnnl_memory_create(&m, md, engine, handle), "memory_create")
            return m!
        }
        // Handles are set on every call; create them pointing at the scratchpad (any valid address).
        srcMemory = memory(&aMD, scratchpad.pointer)
        weightsMemory = d.b == nil ? nil : memory(&bMD, scratchpad.pointer)
        dstMemory = memory(&cMD, scratchpad.pointer)
        biasMemory = d.bias ? memory(&biasMD, scratchpad.pointer) : nil
        let scratchMemory = memory(scratchMD, scratchpad.pointer)

        var list: [dnnl_exec_arg_t] = [
            dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: srcMemory),
            dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weightsMemory),
            dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dstMemory),
            dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchMemory),
        ]
        if let biasMemory { list.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: biasMemory)) }
        argCount = list.count
        args = .allocate(capacity: list.count)
        args.initialize(from: list, count: list.count)
        pthread_mutex_init(&lock, nil)
    }

    /// Runs the product. For packed weights pass `packed` (and `b` nil). `stream` defaults to the
    /// process's stream; per-thread primitives bring their own.
    func run(
        a: UnsafeRawPointer, b: UnsafeRawPointer?, packed: PackedBF16Weights?, c: UnsafeMutableRawPointer,
        bias: UnsafePointer<Float>?, stream ownStream: dnnl_stream_t? = nil
    ) {
        guard let stream = ownStream ?? OneDNN.context?.stream else { return }
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        dnnl_memory_set_data_handle(srcMemory, UnsafeMutableRawPointer(mutating: a))
        if let weightsMemory {
            dnnl_memory_set_data_handle(weightsMemory, UnsafeMutableRawPointer(mutating: b!))
        } else {
            precondition(packed!.K == description.K && packed!.N == description.N, "packed weights of another shape")
            args[1].memory = packed!.memory
        }
        dnnl_memory_set_data_handle(dstMemory, c)
        if let biasMemory { dnnl_memory_set_data_handle(biasMemory, UnsafeMutableRawPointer(mutating: bias!)) }
        OneDNN.check(dnnl_primitive_execute(primitive, stream, Int32(argCount), args), "matmul execute")
        OneDNN.check(dnnl_stream_wait(stream), "stream wait")
    }
}

/// Every matmul primitive the process has created, by description. Lookups take a lock, so several
/// threads may run products (each primitive serialises its own calls).
public enum DNNLMatmul {
    nonisolated(unsafe) private static var primitives: [MatmulDescription: MatmulPrimitive] = [:]
    nonisolated(unsafe) private static var lock: pthread_mutex_t = {
        var m = pthread_mutex_t()
        pthread_mutex_init(&m, nil)
        return m
    }()

    static func primitive(_ d: MatmulDescription) -> MatmulPrimitive {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let p = primitives[d] { return p }
        let p = MatmulPrimitive(d)
        primitives[d] = p
        return p
    }

    /// Number of cached primitives (tests check that a repeated shape reuses its primitive).
    public static var cachedCount: Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return primitives.count
    }

    /// Runs `d` with plain (strided) operands.
    public static func run(
        _ d: MatmulDescription, a: UnsafeRawPointer, b: UnsafeRawPointer, c: UnsafeMutableRawPointer,
        bias: UnsafePointer<Float>? = nil
    ) {
        precondition(d.b != nil, "use run(_:a:weights:...) for packed weights")
        if d.M == 0 || d.N == 0 { return }
        primitive(d).run(a: a, b: b, packed: nil, c: c, bias: bias)
    }

    /// Runs `d` with B given as packed bf16 weights.
    public static func run(
        _ d: MatmulDescription, a: UnsafeRawPointer, weights: PackedBF16Weights, c: UnsafeMutableRawPointer,
        bias: UnsafePointer<Float>? = nil
    ) {
        precondition(d.b == nil, "description expects plain weights")
        if d.M == 0 || d.N == 0 { return }
        primitive(d).run(a: a, b: nil, packed: weights, c: c, bias: bias)
    }
}
