import InfillProtocol
import InfillScheduler

/// One client: framing, batches, the in-flight table and the connection's state.
///
/// Every request is entered into `inFlight` when it arrives and leaves it when it is answered, which is
/// how "exactly one response per request" is kept: `answer` answers only what is in the table.
public final class ServerConnection {
    public let id: Int
    public let kind: ConnectionKind
    let requiresAuth: Bool
    let server: InfillServer
    private let sendBytes: ([UInt8]) -> Void
    private let closeTransport: () -> Void
    private var framer: MessageFramer

    enum Lifecycle { case uninitialized, initialized, shutDown }
    var lifecycle = Lifecycle.uninitialized
    var authenticated = false
    var encoding = PositionEncoding.utf16
    var settings: ConnectionSettings
    var documents = DocumentStore()
    private(set) var isClosed = false

    /// A request waiting for its answer and where the answer goes.
    struct InFlight {
        var method: String
        var isJob: Bool
        var respond: (Response) -> Void
    }
    private(set) var inFlight: [RequestID: InFlight] = [:]

    /// Set by end of input: close (and for stdio, exit) once everything in flight is answered.
    private var drainingExitCode: Int32?
    private var isDraining = false
    /// stdio only: messages read while the scheduler's queue was full, handled in order once it has
    /// room (a shell pipe or a file on stdin sends everything at once; none of it may be refused).
    private var held: [FramerEvent] = []
    private var inputEndedWhileHeld = false
    /// Set by the composition root: stop and restart reading the transport while messages are held.
    public var pauseInput: (() -> Void)?
    public var resumeInput: (() -> Void)?

    init(
        id: Int, kind: ConnectionKind, requiresAuth: Bool, server: InfillServer, send: @escaping ([UInt8]) -> Void,
        close: @escaping () -> Void
    ) {
        self.id = id
        self.kind = kind
        self.requiresAuth = requiresAuth
        self.server = server
        sendBytes = send
        closeTransport = close
        framer = MessageFramer(maxMessageBytes: server.configuration.maxMessageBytes)
        settings = ConnectionSettings(server.configuration)
    }

    /// Bytes from the client, in any chunking (one byte at a time works).
    public func receive(_ bytes: [UInt8]) {
        guard !isClosed, !isDraining else { return }
        handle(framer.feed(bytes))
    }

    /// The client's input ended. stdio: answer what is in flight, then close and request exit 0.
    /// Socket: the client went away, so its jobs are cancelled (still answered, for a half-closed
    /// socket), then the connection closes.
    public func endOfInput() {
        guard !isClosed, !isDraining else { return }
        handle(framer.finish())
        if !held.isEmpty {
            inputEndedWhileHeld = true
            return
        }
        finishInput()
    }

    /// The input is over and everything read was handled: drain (stdio) or cancel (socket), then close.
    private func finishInput() {
        guard !isClosed, !isDraining else { return }
        isDraining = true
        if kind == .stdio {
            drainingExitCode = 0
        } else {
            server.scheduler.cancelAll(connection: id, reason: .connectionClosed)
        }
        closeIfDrained()
    }

    // MARK: - Incoming

    private func handle(_ events: [FramerEvent]) {
        if !held.isEmpty {
            held += events
            return
        }
        var pending = events[...]
        while let event = pending.first {
            if isClosed || isDraining { return }
            if kind == .stdio, case .message = event, server.scheduler.isQueueFull {
                held = Array(pending)
                pauseInput?()
                return
            }
            pending = pending.dropFirst()
            switch event {
            case .message(let body):
                handleBody(body)
            case .error(let error, let fatal):
                server.log(.warning, "connection \(id): framing error, answered with ParseError")
                sendMessage(Response(id: nil, error: ErrorMapping.responseError(for: error)).json)
                if fatal || !isAuthenticatedOrExempt { close() }
            }
        }
    }

    /// Called when a job finished anywhere: handles held messages while the queue has room.
    func queueHasRoom() {
        guard !held.isEmpty, !isClosed else { return }
        let events = held
        held = []
        handle(events)
        if held.isEmpty {
            resumeInput?()
            if inputEndedWhileHeld {
                inputEndedWhileHeld = false
                finishInput()
            }
        }
    }

    /// False on a connection that still owes `sedd/authenticate`.
    var isAuthenticatedOrExempt: Bool { !requiresAuth || authenticated }

    private func handleBody(_ body: [UInt8]) {
        let payload: IncomingPayload
        do {
            payload = try IncomingPayload.parse(body)
        } catch {
            server.log(.info, "connection \(id): unparsable message (\(body.count) bytes), answered with ParseError")
            sendMessage(Response(id: nil, error: ErrorMapping.responseError(for: error)).json)
            if !isAuthenticatedOrExempt { close() }
            return
        }
        switch payload {
        case .single(let value):
            handleValue(value) { [weak self] response in self?.sendMessage(response.json) }
        case .batch(let members):
            handleBatch(members)
        }
    }

    private func handleBatch(_ members: [JSONValue]) {
        if framer.framing == .contentLength || members.isEmpty {
            let reason =
                members.isEmpty
                ? "an empty batch"
                : "a batch: LSP framing carries one message; "
                    + "batches are accepted in newline-delimited JSON"
            sendMessage(
                Response(
                    id: nil,
                    error: ErrorMapping.responseError(
                        for: InfillServerError.invalidRequest("invalid request: \(reason)"))
                ).json)
            if !isAuthenticatedOrExempt { close() }
            return
        }
        let decoded = members.map { member -> Result<IncomingMessage, Error> in
            Result { try IncomingMessage.decode(member) }
        }
        let answered = decoded.filter { result in
            switch result {
            case .success(.request), .failure: return true
            default: return false
            }
        }.count
        let collector =
            answered > 0
            ? BatchCollector(expected: answered) { [weak self] array in self?.sendMessage(array) } : nil
        for result in decoded {
            if isClosed { return }
            dispatch(result) { response in collector?.add(response) }
        }
    }

    private func handleValue(_ value: JSONValue, respond: @escaping (Response) -> Void) {
        dispatch(Result { try IncomingMessage.decode(value) }, respond: respond)
    }

    private func dispatch(_ decoded: Result<IncomingMessage, Error>, respond: @escaping (Response) -> Void) {
        switch decoded {
        case .failure(let error):
            var id: RequestID?
            if case InfillProtocolError.invalidMessage(let recovered, _) = error { id = recovered }
            server.log(.info, "connection \(id.map { "\(self.id) request \($0)" } ?? "\(self.id)"): invalid request")
            respond(Response(id: id, error: ErrorMapping.responseError(for: error)))
            if !isAuthenticatedOrExempt { close() }
        case .success(.request(let request)):
            receiveRequest(request, respond: respond)
        case .success(.notification(let notification)):
            receiveNotification(notification)
        case .success(.response(let responseID)):
            server.log(.debug, "connection \(id): ignored a response (id \(responseID?.description ?? "null"))")
        }
    }

    private func receiveRequest(_ request: Request, respond: @escaping (Response) -> Void) {
        if inFlight[request.id] != nil {
            respond(
                Response(
                    id: request.id,
                    error: ErrorMapping.responseError(
                        for: InfillServerError.invalidRequest(
                            "id \(request.id) is already used by a request in flight on this connection"))))
            return
        }
        inFlight[request.id] = InFlight(method: request.method, isJob: false, respond: respond)
        route(request)
    }

    // MARK: - Answers and output

    /// Answers a request that is in flight; a second answer for the same id is dropped.
    func answer(_ requestID: RequestID, _ outcome: Result<JSONValue, InfillServerError>) {
        guard let entry = inFlight.removeValue(forKey: requestID) else {
            server.log(.debug, "connection \(id): request \(requestID) was already answered")
            return
        }
        switch outcome {
        case .success(let result):
            entry.respond(Response(id: requestID, result: result))
        case .failure(let error):
            let responseError = ErrorMapping.responseError(for: error)
            server.log(
                .info, "connection \(id): \(entry.method) id \(requestID) failed with \(responseError.code.rawValue)")
            server.log(.debug, "connection \(id): \(entry.method) id \(requestID): \(responseError.message)")
            entry.respond(Response(id: requestID, error: responseError))
        }
        closeIfDrained()
    }

    func markAsJob(_ requestID: RequestID) { inFlight[requestID]?.isJob = true }

    func isInFlight(_ requestID: RequestID) -> Bool { inFlight[requestID] != nil }

    func sendMessage(_ message: JSONValue) {
        guard !isClosed else { return }
        sendBytes(framer.frame(JSONWriter.encode(message)))
    }

    /// Closes the transport and cancels this connection's jobs; their answers are dropped.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        server.scheduler.cancelAll(connection: id, reason: .connectionClosed)
        closeTransport()
        server.connectionClosed(id)
    }

    /// `exit`: reads nothing more, cancels the jobs in flight (each still gets its RequestCancelled
    /// answer: exactly one response per request), then closes; for stdio, then requests exit `code`.
    func drainForExit(code: Int32) {
        guard !isClosed, !isDraining else { return }
        isDraining = true
        if kind == .stdio { drainingExitCode = code }
        server.scheduler.cancelAll(connection: id, reason: .shuttingDown)
        closeIfDrained()
    }

    private func closeIfDrained() {
        guard isDraining, !isClosed, inFlight.isEmpty else { return }
        close()
        if let code = drainingExitCode { server.onExitRequested?(code) }
    }
}
