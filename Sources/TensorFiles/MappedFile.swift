import Foundation

/// A whole file mapped read-only into memory; unmapped when the last owner lets go.
///
/// Mapping rather than reading keeps loading a large checkpoint to the cost of the pages actually touched.
final class MappedFile: @unchecked Sendable {
    /// The path as given, used in every error message.
    let path: String
    let url: URL
    /// The mapped bytes (an empty buffer for an empty file). Immutable for the object's lifetime.
    let bytes: UnsafeRawBufferPointer
    private let mappingLength: Int

    init(url: URL) throws(TensorFileError) {
        self.url = url
        self.path = url.path
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            throw TensorFileError.cannotOpen(file: url.path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw TensorFileError.cannotOpen(file: url.path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw TensorFileError.cannotOpen(file: url.path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        mappingLength = size
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw TensorFileError.cannotOpen(file: url.path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if mappingLength > 0, let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), mappingLength)
        }
    }
}

/// Little-endian reads with explicit bounds, for headers and directories (never for bulk tensor data).
struct LittleEndianReader {
    let bytes: UnsafeRawBufferPointer

    func contains(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= bytes.count && length <= bytes.count - offset
    }

    func u8(_ offset: Int) -> UInt8 { bytes[offset] }

    func u16(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func u32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    func u64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
