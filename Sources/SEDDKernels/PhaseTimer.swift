import Dispatch

/// Per-phase wall-clock totals of the forward pass, for `sedd bench forward --phases` (the profile
/// docs/performance.md quotes). Off by default: a disabled timer is one branch per phase.
public enum PhaseTimer {
    public enum Phase: Int, CaseIterable, Sendable {
        case embedding, adaLN, layerNorm, qkv, rotary, attention, attnOut, residual, mlpIn, gelu, mlpOut
        case headNorm, head, scaleAndScatter, weightRefresh
        /// bf16 inference's fused row-local stretch of a block: attn_out, residual + LN2, the MLP,
        /// residual + the next block's LN1, qkv and rotary, each thread on its own rows.
        case blockRows
        /// bf16 inference's last block pruned to the output head's rows (`SEDDNetwork.prunesLastBlock`):
        /// the attention of the head rows' queries, and their row-local stretch (attn_out to the
        /// MLP's residual add).
        case lastBlockAttention, lastBlockRows
        /// Inside `attention` (bf16 path): the q k^T product, the softmax, the P v product.
        case attentionScores, softmax, attentionValues
        /// The backward pass: output head (linear and LayerNorm), block linears, attention, LayerNorms,
        /// and the pointwise rest (gates, GELU, rotary, adds).
        case backwardHead, backwardLinear, backwardAttention, backwardLayerNorm, backwardPointwise
        /// Score entropy and its gradient.
        case loss
    }

    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) private static var totals = [UInt64](repeating: 0, count: Phase.allCases.count)

    /// A start mark (0 when disabled).
    @inline(__always)
    public static func start() -> UInt64 { enabled ? DispatchTime.now().uptimeNanoseconds : 0 }

    /// Adds the time since `mark` to `phase`.
    @inline(__always)
    public static func stop(_ phase: Phase, _ mark: UInt64) {
        guard enabled else { return }
        totals[phase.rawValue] &+= DispatchTime.now().uptimeNanoseconds &- mark
    }

    public static func reset() { totals = [UInt64](repeating: 0, count: Phase.allCases.count) }

    /// Milliseconds per phase since the last reset.
    public static var milliseconds: [(Phase, Double)] { Phase.allCases.map { ($0, Double(totals[$0.rawValue]) / 1e6) } }
}

extension PhaseTimer {
    /// Runs `body`, adding its time to `phase` when enabled.
    @inline(__always)
    public static func time<T>(_ phase: Phase, _ body: () -> T) -> T {
        let mark = start()
        let result = body()
        stop(phase, mark)
        return result
    }
}

extension PhaseTimer.Phase {
    /// Whether the phase is a top-level part of the forward pass (the attention sub-phases nest inside
    /// `attention`; the backward and loss phases are not forward): summing these gives the pass's time.
    public var isForwardTopLevel: Bool {
        switch self {
        case .attentionScores, .softmax, .attentionValues: return false
        case .backwardHead, .backwardLinear, .backwardAttention, .backwardLayerNorm, .backwardPointwise, .loss: return false
        default: return true
        }
    }
}
