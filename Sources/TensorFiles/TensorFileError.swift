import Foundation

/// Every way reading or writing a weight file can fail.
///
/// Each case carries the file path, and where one applies the tensor key or zip entry, so that the message alone
/// tells a user which file is wrong, where, what was expected and what was found.
public enum TensorFileError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The file could not be opened, sized or mapped.
    case cannotOpen(file: String, reason: String)
    /// The file ends before a structure it announces (`needed` bytes at least, `found` bytes present).
    case truncated(file: String, what: String, needed: Int, found: Int)
    /// The safetensors header length (first 8 bytes) points past the end of the file.
    case headerLengthBeyondFile(file: String, headerLength: UInt64, fileSize: Int)
    /// The safetensors header length is above the reference library's 100 MB limit.
    case headerTooLarge(file: String, headerLength: UInt64, limit: Int)
    /// The safetensors header is not valid JSON, not UTF-8, or not a JSON object.
    case invalidHeaderJSON(file: String, reason: String)
    /// The `__metadata__` entry is not a map from strings to strings.
    case invalidMetadata(file: String, reason: String)
    /// A tensor's header entry is malformed (missing or extra fields, bad shape or offsets).
    case invalidTensorEntry(file: String, tensor: String, reason: String)
    /// A tensor's dtype is not one of ``DType``'s cases.
    case unknownDType(file: String, tensor: String, found: String)
    /// A tensor's byte range lies outside the data section (or ends before it starts).
    case offsetsOutOfBounds(file: String, tensor: String, begin: Int, end: Int, dataLength: Int)
    /// A tensor's byte range starts before the previous tensor (in offset order) ends.
    case offsetsOverlap(file: String, tensor: String, previous: String, begin: Int, previousEnd: Int)
    /// A tensor's byte range starts after the previous one ends, leaving unowned bytes.
    case offsetsGap(file: String, tensor: String, begin: Int, previousEnd: Int)
    /// Bytes remain in the data section after the last tensor.
    case trailingData(file: String, dataEnd: Int, dataLength: Int)
    /// A tensor's byte length does not equal `product(shape) * dtype size`.
    case sizeMismatch(file: String, tensor: String, expectedBytes: Int, foundBytes: Int)
    /// No tensor of that name.
    case missingTensor(file: String, tensor: String, available: Int)
    /// The tensor's dtype cannot be read as the requested type.
    case wrongDType(file: String, tensor: String, expected: String, found: DType)
    /// The caller's buffer does not have the tensor's element count.
    case countMismatch(file: String, tensor: String, expected: Int, found: Int)
    /// Raw access was asked for a tensor that is a strided view of its storage.
    case nonContiguous(file: String, tensor: String, shape: [Int], strides: [Int])
    /// The zip structure (end record, central directory, local headers) is inconsistent.
    case corruptZip(file: String, reason: String)
    /// A zip entry is compressed or encrypted; torch stores entries uncompressed.
    case unsupportedZipEntry(file: String, entry: String, reason: String)
    /// A zip entry's CRC-32 does not match its bytes.
    case checksumMismatch(file: String, entry: String, expected: UInt32, found: UInt32)
    /// A zip entry the checkpoint needs is absent.
    case missingZipEntry(file: String, entry: String)
    /// The pickle uses an opcode outside the supported subset.
    case unsupportedPickleOpcode(file: String, opcode: UInt8, position: Int)
    /// The pickle names a global outside the allowlist; nothing is ever executed.
    case unsupportedPickleGlobal(file: String, global: String, position: Int)
    /// The pickle stream is malformed (stack underflow, truncated, wrong argument types).
    case malformedPickle(file: String, reason: String, position: Int)
    /// The unpickled object is not a state_dict of tensors, or a tensor's view does not fit its storage.
    case invalidCheckpoint(file: String, tensor: String?, reason: String)
    /// The file is neither a safetensors file nor a torch zip checkpoint.
    case unrecognizedFormat(file: String, reason: String)
    /// A tensor handed to the writer is inconsistent (name, shape and byte count).
    case invalidWriterInput(file: String, tensor: String, reason: String)
    /// Writing the file failed.
    case writeFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let file, let reason):
            return "\(file): cannot open: \(reason)"
        case .truncated(let file, let what, let needed, let found):
            return "\(file): truncated \(what): expected at least \(needed) bytes, found \(found)"
        case .headerLengthBeyondFile(let file, let length, let size):
            return
                "\(file): safetensors header length \(length) (first 8 bytes, little-endian) runs past the end of the "
                + "file: expected at most \(max(size - 8, 0)) for a file of \(size) bytes"
        case .headerTooLarge(let file, let length, let limit):
            return "\(file): safetensors header length \(length) exceeds the limit of \(limit) bytes"
        case .invalidHeaderJSON(let file, let reason):
            return "\(file): safetensors header is not a valid JSON object: \(reason)"
        case .invalidMetadata(let file, let reason):
            return "\(file): key \"__metadata__\": expected a map of strings to strings: \(reason)"
        case .invalidTensorEntry(let file, let tensor, let reason):
            return "\(file): tensor \"\(tensor)\": \(reason)"
        case .unknownDType(let file, let tensor, let found):
            return "\(file): tensor \"\(tensor)\": unknown dtype \"\(found)\"; accepted: "
                + DType.allCases.map(\.rawValue).joined(separator: ", ")
        case .offsetsOutOfBounds(let file, let tensor, let begin, let end, let length):
            return "\(file): tensor \"\(tensor)\": data_offsets [\(begin), \(end)] outside the data section: expected "
                + "0 <= begin <= end <= \(length) (is the file truncated?)"
        case .offsetsOverlap(let file, let tensor, let previous, let begin, let previousEnd):
            return "\(file): tensor \"\(tensor)\": data_offsets start at \(begin), overlapping tensor \"\(previous)\" "
                + "which ends at \(previousEnd): expected a start of \(previousEnd)"
        case .offsetsGap(let file, let tensor, let begin, let previousEnd):
            return "\(file): tensor \"\(tensor)\": data_offsets start at \(begin), leaving a gap after the previous "
                + "tensor: expected a start of \(previousEnd)"
        case .trailingData(let file, let dataEnd, let length):
            return "\(file): the tensors cover \(dataEnd) bytes of data but the data section holds \(length): "
                + "expected no bytes after the last tensor"
        case .sizeMismatch(let file, let tensor, let expected, let found):
            return "\(file): tensor \"\(tensor)\": byte length \(found) does not match shape and dtype: expected "
                + "\(expected) bytes"
        case .missingTensor(let file, let tensor, let available):
            return "\(file): no tensor named \"\(tensor)\" (the file holds \(available) tensors)"
        case .wrongDType(let file, let tensor, let expected, let found):
            return "\(file): tensor \"\(tensor)\": expected dtype \(expected), found \(found.rawValue)"
        case .countMismatch(let file, let tensor, let expected, let found):
            return "\(file): tensor \"\(tensor)\": destination holds \(found) elements, expected \(expected)"
        case .nonContiguous(let file, let tensor, let shape, let strides):
            return "\(file): tensor \"\(tensor)\": shape \(shape) with strides \(strides) is not contiguous; raw "
                + "access expects row-major contiguous data (use the converting readers)"
        case .corruptZip(let file, let reason):
            return "\(file): corrupt zip: \(reason)"
        case .unsupportedZipEntry(let file, let entry, let reason):
            return "\(file): zip entry \"\(entry)\": \(reason)"
        case .checksumMismatch(let file, let entry, let expected, let found):
            return "\(file): zip entry \"\(entry)\": CRC-32 expected \(hex(expected)), found \(hex(found))"
        case .missingZipEntry(let file, let entry):
            return "\(file): missing zip entry \"\(entry)\""
        case .unsupportedPickleOpcode(let file, let opcode, let position):
            return "\(file): data.pkl byte \(position): unsupported pickle opcode \(hex(opcode)) "
                + "(\(opcodeLabel(opcode))); only the subset torch.save emits for a state_dict is accepted"
        case .unsupportedPickleGlobal(let file, let global, let position):
            return "\(file): data.pkl byte \(position): global \"\(global)\" is not allowed; accepted: "
                + PickleGlobal.acceptedNames.joined(separator: ", ")
        case .malformedPickle(let file, let reason, let position):
            return "\(file): data.pkl byte \(position): malformed pickle: \(reason)"
        case .invalidCheckpoint(let file, let tensor, let reason):
            if let tensor { return "\(file): tensor \"\(tensor)\": \(reason)" }
            return "\(file): \(reason)"
        case .unrecognizedFormat(let file, let reason):
            return "\(file): unrecognised format: \(reason); expected a safetensors file or a torch.save zip checkpoint"
        case .invalidWriterInput(let file, let tensor, let reason):
            return "\(file): tensor \"\(tensor)\": \(reason)"
        case .writeFailed(let file, let reason):
            return "\(file): write failed: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

private func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16, uppercase: true) }

private func opcodeLabel(_ opcode: UInt8) -> String {
    if opcode >= 0x20 && opcode < 0x7F { return "'\(Character(UnicodeScalar(opcode)))'" }
    return "non-printable"
}
