import SEDDKernels

/// Every block's keys and values from a sampler's last full pass, so that the passes between two
/// full ones run only the rows that can change.
///
/// In an infill run the context (every fixed position, most of the window) never changes, yet each
/// pass recomputes it because the attention is bidirectional: a context row attends to the hole too.
/// Between refreshes a `reuse` pass keeps the context's keys and values of the last `record` pass and
/// runs every block on the active rows only (the hole's positions): their queries against every key
/// and value, their own keys and values made anew. That is the approximate dual cache of Fast-dLLM
/// (Wu et al. 2025): the context's view of the hole, and its adaLN modulation, lag by the passes since
/// the refresh; the infill benchmark measures what that costs (docs/default-model.md).
///
/// Only the fused bf16 inference path reuses (`SEDDNetwork.runBlocksBF16Reusing`); on every other
/// path a `reuse` pass runs in full, as `record` does.
public final class ContextCache {
    /// What the next forward pass on the workspace does with the cache.
    public enum Pass: Sendable {
        /// An ordinary pass; the cache is left alone.
        case off
        /// A full pass that keeps every block's keys and values.
        case record
        /// Only the active rows, against the recorded keys and values.
        case reuse
    }

    public var pass: Pass = .off
    /// [B, nh, L, d] bf16 per block, the layout of the attention's operands.
    let keys: [ByteBuffer]
    let values: [ByteBuffer]
    /// The flat positions (b * L + l) a `reuse` pass recomputes, increasing.
    let activeRows: IntBuffer
    public private(set) var activeRowCount = 0
    private var isActive: [Bool]
    /// Passes run since the active rows were set: in full (recording), and on the active rows only.
    public internal(set) var fullPasses = 0
    public internal(set) var reusePasses = 0

    /// Bytes of one block's keys (or values): [B, L, H] in bf16.
    private static func blockBytes(config c: SEDDConfig, batch B: Int, length L: Int) -> Int {
        B * L * c.hiddenSize * 2
    }

    /// Bytes a cache of this shape holds (for memory estimates): every block's keys and values, the
    /// active rows (Int32) and their flags.
    static func bytes(config c: SEDDConfig, batch B: Int, length L: Int) -> Int {
        2 * c.blocks * blockBytes(config: c, batch: B, length: L) + B * L * (4 + 1)
    }

    init(config c: SEDDConfig, batch B: Int, length L: Int) {
        let bytes = Self.blockBytes(config: c, batch: B, length: L)
        keys = (0..<c.blocks).map { _ in ByteBuffer(byteCount: bytes) }
        values = (0..<c.blocks).map { _ in ByteBuffer(byteCount: bytes) }
        activeRows = IntBuffer(count: B * L)
        isActive = [Bool](repeating: false, count: B * L)
    }

    /// Sets the rows `reuse` passes recompute (every position that can change) and forgets the
    /// recording: the next pass must `record`.
    public func setActiveRows(_ rows: [Int]) {
        precondition(rows.count <= isActive.count, "more active rows than positions")
        isActive = [Bool](repeating: false, count: isActive.count)
        for (i, r) in rows.sorted().enumerated() {
            activeRows[i] = Int32(r)
            isActive[r] = true
        }
        activeRowCount = rows.count
        fullPasses = 0
        reusePasses = 0
        pass = .off
    }

    /// Whether a full pass has filled the cache since the active rows were set.
    var hasRecording: Bool { fullPasses > 0 }

    /// Whether every one of `rows` is active (a `reuse` pass computes the residual stream there only).
    func covers(_ rows: UnsafePointer<Int32>, count: Int) -> Bool {
        (0..<count).allSatisfy { isActive[Int(rows[$0])] }
    }
}

extension ForwardWorkspace {
    /// The workspace's context cache for `config`, made on first use and kept (a serving engine reuses
    /// its workspaces request after request).
    public func contextCache(config: SEDDConfig) -> ContextCache {
        if let cache = existingContextCache { return cache }
        let cache = ContextCache(config: config, batch: batch, length: length)
        existingContextCache = cache
        return cache
    }
}
