/// One side of a connection: a socket, pipe or terminal (reads and writes), or a regular file (one of them).
/// A connection has a source it reads from and a sink it writes to; for sockets they are the same object.
protocol ConnectionEndpoint: AnyObject {
    /// Set by the connection; events go there. Cleared when the endpoint has closed.
    var connection: LoopConnection? { get set }
    /// Starts delivering `endpointRead`, then `endpointReachedEnd` or `endpointFailed`.
    func startReading()
    func stopReading()
    /// Queues bytes; `endpointDrained` follows when no write is pending any more.
    func write(_ bytes: [UInt8])
    var pendingWriteCount: Int { get }
    /// Closes (idempotent); pending writes are dropped. `endpointDidClose` follows, maybe synchronously.
    func closeEndpoint()
}
