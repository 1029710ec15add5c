import Foundation

/// A read-only collection of named tensors, as stored in a weight file.
///
/// Both ``SafetensorsFile`` and ``TorchCheckpointFile`` implement it; ``openTensorArchive(at:)`` picks one by
/// content. Names come in file order: data-offset order for safetensors, pickle insertion order for torch.
public protocol TensorArchive: AnyObject {
    /// The file the archive was read from.
    var url: URL { get }
    /// Tensor names in file order.
    var tensorNames: [String] { get }
    /// The safetensors `__metadata__` map (empty for torch checkpoints).
    var metadata: [String: String] { get }
    /// Dtype and shape of one tensor.
    func info(_ name: String) throws(TensorFileError) -> TensorInfo
    /// Any floating-point tensor as `Float`: f16 and bf16 are widened exactly, f64 is rounded to nearest.
    func readFloat32(_ name: String) throws(TensorFileError) -> [Float]
    /// Converts a floating-point tensor into caller memory; `count` must equal the tensor's element count.
    func readFloat32(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws(TensorFileError)
    /// Any floating-point tensor as `Double` (every conversion is exact).
    func readFloat64(_ name: String) throws(TensorFileError) -> [Double]
    /// Any integer or bool tensor as `Int64`.
    func readInt64(_ name: String) throws(TensorFileError) -> [Int64]
    /// Any integer or bool tensor as `Int`.
    func readInt(_ name: String) throws(TensorFileError) -> [Int]
    /// Lends the tensor's bytes, in the file's little-endian layout, for zero-copy conversion.
    ///
    /// The buffer is valid only inside `body`. Throws ``TensorFileError`` for an unknown name or a non-contiguous
    /// torch view; errors thrown by `body` pass through unchanged.
    func withRawData<Result>(
        _ name: String, _ body: (_ bytes: UnsafeRawBufferPointer, _ info: TensorInfo) throws -> Result
    ) throws -> Result
}

extension TensorArchive {
    /// True when the archive holds a tensor of that name.
    public func contains(_ name: String) -> Bool { (try? info(name)) != nil }
}

/// Opens a weight file, choosing the reader by content: a zip local-file signature (`PK\u{3}\u{4}`) means a
/// `torch.save` checkpoint, otherwise the file must be safetensors (8-byte length, then a header starting `{`).
public func openTensorArchive(at url: URL) throws(TensorFileError) -> any TensorArchive {
    let file = try MappedFile(url: url)
    let bytes = file.bytes
    if bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04 {
        return try TorchCheckpointFile(mapped: file)
    }
    if bytes.count >= 9 && bytes[8] == UInt8(ascii: "{") {
        return try SafetensorsFile(mapped: file)
    }
    if bytes.count >= 2 && bytes[0] == 0x80 {
        throw TensorFileError.unrecognizedFormat(
            file: file.path,
            reason: "starts with a bare pickle (the legacy torch.save format before torch 1.6), which is not supported")
    }
    if bytes.count < 9 {
        throw TensorFileError.truncated(file: file.path, what: "file", needed: 9, found: bytes.count)
    }
    throw TensorFileError.unrecognizedFormat(
        file: file.path, reason: "neither the zip signature PK\\3\\4 nor a safetensors header starting with '{'")
}
