import SEDDKernels

/// The arithmetic of the network's matrix products.
///
/// - `fp32`: every product in fp32 through OpenBLAS. The reference path: it passes the parity
///   fixtures at float32 tolerances.
/// - `bf16`: the linear layers, attention and the output head multiply bf16 operands (oneDNN, on AMX
///   tiles or AVX512_BF16) with fp32 accumulation. LayerNorm, softmax, the residual stream, the loss
///   and the optimizer stay fp32; training keeps fp32 master weights and refreshes the bf16 copies
///   before each forward pass.
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    case fp32
    case bf16

    public var description: String { rawValue }

    /// The precision new networks start with. The library default is the reference path; the command
    /// line sets it from `--precision` (or `preferred` when the option is absent).
    nonisolated(unsafe) public static var processDefault: Precision = .fp32

    /// bf16 where the processor multiplies bf16 in hardware (AMX or AVX512_BF16) and oneDNN runs, fp32
    /// elsewhere (emulated bf16 would lose precision for nothing). Only the bf16 path has the context
    /// cache, so an infill with `contextRefresh` above 1 gains more than the products' speed.
    public static var preferred: Precision {
        OneDNN.isAvailable && OneDNN.processorMultipliesBF16() ? .bf16 : .fp32
    }
}
