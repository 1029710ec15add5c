import SEDDKernels

/// adaLN modulations by noise level, for sampling.
///
/// Every block's `adaLN_modulation` and the final layer's are functions of sigma alone (through the
/// sigma embedding). A sampler with a given step count visits the same sigmas on every request (the
/// time grid is fixed), so the daemon would recompute the same [blocks x 6H + 2H] numbers for every
/// step of every request: on the default model a dozen small matrix-vector products per pass, about
/// 6% of it. The cache keeps them per batch row's sigma (bit pattern), least recently used first out.
///
/// Only for networks whose weights do not change while it is used (`ForwardWorkspace.reusesModulation`
/// opts in; `SEDDNetwork.parametersDidChange` empties it). Not thread-safe, like the network.
final class ModulationCache {
    /// Floats of one entry: every block's 6H modulation, then the final layer's 2H.
    let entryCount: Int
    private let capacity: Int
    private var entries: [UInt32: FloatBuffer] = [:]
    private var order: [UInt32] = []

    init(config: SEDDConfig, capacity: Int = 128) {
        entryCount = config.blocks * 6 * config.hiddenSize + 2 * config.hiddenSize
        self.capacity = capacity
    }

    /// The modulations of `sigma`, if computed before.
    func lookup(_ sigma: Float) -> FloatBuffer? {
        let key = sigma.bitPattern
        guard let entry = entries[key] else { return nil }
        if let at = order.firstIndex(of: key) { order.remove(at: at) }
        order.append(key)
        return entry
    }

    /// Stores a computed entry (the caller fills it) and returns it.
    func insert(_ sigma: Float) -> FloatBuffer {
        let key = sigma.bitPattern
        if let entry = entries[key] { return entry }
        if order.count >= capacity { entries[order.removeFirst()] = nil }
        let entry = FloatBuffer(count: entryCount, zeroed: false)
        entries[key] = entry
        order.append(key)
        return entry
    }

    func removeAll() {
        entries.removeAll()
        order.removeAll()
    }
}
