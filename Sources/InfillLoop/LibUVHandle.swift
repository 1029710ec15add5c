import CLibUV

/// The base of every Swift object that owns a libuv handle.
///
/// Ownership rule: the handle's storage is allocated here and freed only in libuv's close callback.
/// From `adopt()` until that callback the handle's `data` field holds a retain on this object, so libuv
/// can never call back into a freed object, and the object can never free storage libuv still uses.
/// Swift code never dereferences the C structs itself; it passes typed pointers to libuv and uses
/// `uv_handle_get_data`/`uv_handle_set_data`, so the one block of storage may be seen as `uv_pipe_t`,
/// `uv_stream_t` and `uv_handle_t` as C intends.
class LibUVHandle {
    let core: LoopCore
    let storage: UnsafeMutableRawPointer
    private(set) var isAdopted = false
    private(set) var isClosing = false

    init(core: LoopCore, byteCount: Int) {
        self.core = core
        storage = .allocate(byteCount: byteCount, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    /// The storage seen as a libuv struct of type `T` (`uv_pipe_t`, `uv_stream_t`, `uv_handle_t`, ...).
    final func pointer<T>(as type: T.Type) -> UnsafeMutablePointer<T> {
        UnsafeMutablePointer<T>(OpaquePointer(storage))
    }

    final var handle: UnsafeMutablePointer<uv_handle_t> { pointer(as: uv_handle_t.self) }

    /// Call once `uv_*_init` succeeded: from now on the handle keeps this object alive until it is closed.
    final func adopt() {
        precondition(!isAdopted, "a libuv handle was adopted twice")
        isAdopted = true
        uv_handle_set_data(handle, Unmanaged.passRetained(self).toOpaque())
    }

    /// Call instead of `adopt()` when `uv_*_init` failed: libuv never saw the handle.
    final func discardUnadopted() {
        precondition(!isAdopted, "an adopted libuv handle must be closed, not discarded")
        isClosing = true
        storage.deallocate()
    }

    /// Starts closing the handle (idempotent). `didClose()` runs later, from libuv's close callback.
    final func close() {
        guard isAdopted, !isClosing else { return }
        isClosing = true
        willClose()
        uv_close(handle, libuvHandleDidClose)
    }

    /// Runs synchronously inside `close()`, before `uv_close`.
    func willClose() {}

    /// Runs in the close callback, after libuv is done with the handle and before its storage is freed.
    func didClose() {}

    fileprivate final func finishClose() {
        didClose()
        storage.deallocate()
    }

    /// The object that owns a handle libuv passes to a callback (not retained: the handle holds a retain).
    static func owner<Owner: LibUVHandle>(of handle: UnsafeMutablePointer<uv_handle_t>?, as type: Owner.Type)
        -> Owner
    {
        guard let handle, let data = uv_handle_get_data(handle) else {
            preconditionFailure("libuv called back for a handle without an owner")
        }
        return Unmanaged<LibUVHandle>.fromOpaque(data).takeUnretainedValue() as! Owner
    }
}

/// libuv's close callback for every handle: drops the retain taken in `adopt()` and frees the storage.
private func libuvHandleDidClose(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle, let data = uv_handle_get_data(handle) else { return }
    uv_handle_set_data(handle, nil)
    let owner = Unmanaged<LibUVHandle>.fromOpaque(data).takeRetainedValue()
    owner.finishClose()
}

/// A C pointer seen as another libuv struct type (they share their leading fields, as in C).
@inline(__always)
func uvCast<From, To>(_ pointer: UnsafeMutablePointer<From>, to type: To.Type) -> UnsafeMutablePointer<To> {
    UnsafeMutablePointer<To>(OpaquePointer(pointer))
}
