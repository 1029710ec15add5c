import CLibUV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `uv_signal_t`: the signal arrives as a normal callback on the loop thread.
final class SignalWatcher: LibUVHandle, StopParticipant {
    private var handler: ((Int32) -> Void)?

    init?(core: LoopCore, signal: Int32, handler: @escaping (Int32) -> Void) {
        self.handler = handler
        super.init(core: core, byteCount: MemoryLayout<uv_signal_t>.size)
        guard uv_signal_init(core.loop, pointer(as: uv_signal_t.self)) == 0 else {
            discardUnadopted()
            return nil
        }
        adopt()
        core.register(self)
        if uv_signal_start(pointer(as: uv_signal_t.self), signalArrived, signal) != 0 {
            close()
            return nil
        }
    }

    func replaceHandler(_ handler: @escaping (Int32) -> Void) { self.handler = handler }

    fileprivate func arrived(_ signal: Int32) { handler?(signal) }

    func closeForStop() { close() }

    override func didClose() {
        handler = nil
        core.unregister(self)
    }
}

private func signalArrived(_ watcher: UnsafeMutablePointer<uv_signal_t>?, _ signal: Int32) {
    LibUVHandle.owner(of: watcher.map { uvCast($0, to: uv_handle_t.self) }, as: SignalWatcher.self).arrived(signal)
}
