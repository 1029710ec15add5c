import SEDDKernels

/// The arithmetic of the network's matrix products.
///
/// - `fp32`: every product in fp32 through OpenBLAS. The reference path: it passes the parity
///   fixtures at float32 tolerances.
/// - `bf16`: the linear layers, attention and the output head multiply bf16 operands on AMX (oneDNN)
///   with fp32 accumulation. LayerNorm, softmax, the residual stream, the loss and the optimizer stay
///   fp32; training keeps fp32 master weights and refreshes the bf16 copies before each forward pass.
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    case fp32
    case bf16

    public var description: String { rawValue }

    /// The precision new networks start with. The library default is the reference path; the command
    /// line sets it from `--precision` (or `preferred` when the option is absent).
    nonisolated(unsafe) public static var processDefault: Precision = .fp32

    /// bf16 where the processor has AMX tiles and oneDNN runs, fp32 elsewhere (bf16 without AMX is no
    /// faster than fp32 FMA and loses precision for nothing).
    public static var preferred: Precision {
        OneDNN.isAvailable && OneDNN.processorHasAMX() ? .bf16 : .fp32
    }
}
