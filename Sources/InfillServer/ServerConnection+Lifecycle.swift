import InfillProtocol
import InfillScheduler

/// Request and notification routing: lifecycle, authentication, documents, settings, cancellation.
extension ServerConnection {
    func route(_ request: Request) {
        if !isAuthenticatedOrExempt && request.method != Method.authenticate.rawValue {
            answer(request.id, .failure(.authenticationRequired(method: request.method)))
            close()
            return
        }
        do throws(InfillServerError) {
            if let result = try routeRequest(request) { answer(request.id, .success(result)) }
        } catch {
            answer(request.id, .failure(error))
            if request.method == Method.authenticate.rawValue && !isAuthenticatedOrExempt { close() }
        }
    }

    /// Returns the result of an immediate request, or nil when a job will answer later.
    private func routeRequest(_ request: Request) throws(InfillServerError) -> JSONValue? {
        if lifecycle == .shutDown {
            throw .invalidRequest("\(request.method): the connection was shut down; only exit is accepted now")
        }
        guard let method = Method(rawValue: request.method), method != .exit, method != .initialized,
            method != .cancelRequest, method != .didOpen, method != .didChange, method != .didClose,
            method != .didSave, method != .didChangeConfiguration
        else {
            if lifecycle == .uninitialized && Method.isLSPNamespace(request.method) {
                throw .notInitialized(method: request.method)
            }
            throw .methodNotFound(method: request.method)
        }
        if method.needsInitialize && lifecycle == .uninitialized { throw .notInitialized(method: request.method) }
        switch method {
        case .initialize: return try initialize(request.params)
        case .shutdown:
            lifecycle = .shutDown
            server.log(.info, "connection \(id): shutdown")
            return .null
        case .status: return StatusReport.json(server: server)
        case .authenticate: return try authenticate(request.params)
        case .infill:
            try startInfill(request)
            return nil
        case .inlineCompletion:
            try startInlineCompletion(request)
            return nil
        default:
            throw .internalFailure("no route for \(request.method)")
        }
    }

    private func initialize(_ params: JSONValue?) throws(InfillServerError) -> JSONValue {
        guard lifecycle == .uninitialized else {
            throw .invalidRequest("initialize: already called on this connection")
        }
        let negotiated: InitializeHandler.Negotiated
        do {
            negotiated = try InitializeHandler.negotiate(params, defaults: settings)
        } catch {
            throw .protocolViolation(error)
        }
        encoding = negotiated.encoding
        settings = negotiated.settings
        lifecycle = .initialized
        server.log(
            .info,
            "connection \(id): initialized by \(negotiated.clientName ?? "an unnamed client"), "
                + "position encoding \(encoding.rawValue)")
        return InitializeHandler.result(negotiated, configuration: server.configuration, info: server.backendInfo)
    }

    private func authenticate(_ params: JSONValue?) throws(InfillServerError) -> JSONValue {
        let token: String
        do {
            token = try JSONFieldReader(params, path: "").string("token")
        } catch {
            throw .protocolViolation(error)
        }
        guard requiresAuth else { return ["authenticated": true] }
        guard let expected = server.configuration.authToken, TokenCheck.matches(token, expected: expected) else {
            server.log(.warning, "connection \(id): authentication failed")
            throw .authenticationFailed
        }
        authenticated = true
        return ["authenticated": true]
    }

    func receiveNotification(_ notification: Notification) {
        guard isAuthenticatedOrExempt else {
            server.log(.warning, "connection \(id): \(notification.method) before sedd/authenticate; closing")
            close()
            return
        }
        guard let method = Method(rawValue: notification.method) else {
            server.log(.debug, "connection \(id): ignored unknown notification \(notification.method)")
            return
        }
        switch method {
        case .exit:
            exit()
        case .cancelRequest:
            cancelRequest(notification.params)
        case .initialized, .didSave:
            break
        case .didOpen, .didChange, .didClose, .didChangeConfiguration:
            guard lifecycle == .initialized else {
                server.log(.debug, "connection \(id): dropped \(method.rawValue) outside the initialized state")
                return
            }
            applyDocumentNotification(method, notification.params)
        default:
            server.log(.debug, "connection \(id): ignored \(method.rawValue) sent as a notification")
        }
    }

    private func exit() {
        let code: Int32 = lifecycle == .shutDown ? 0 : 1
        server.log(.info, "connection \(id): exit (\(code))")
        drainForExit(code: code)
    }

    private func cancelRequest(_ params: JSONValue?) {
        guard let rawID = params?["id"], let requestID = RequestID(json: rawID) else {
            server.log(.debug, "connection \(id): $/cancelRequest without a valid id; ignored")
            return
        }
        guard let entry = inFlight[requestID], entry.isJob else {
            server.log(.debug, "connection \(id): $/cancelRequest for \(requestID), which is not in flight")
            return
        }
        server.scheduler.cancel(JobOwner(connection: id, request: requestID.key), reason: .requested)
    }

    private func applyDocumentNotification(_ method: Method, _ params: JSONValue?) {
        do throws(InfillProtocolError) {
            switch method {
            case .didOpen: try documents.open(params: params)
            case .didChange: try documents.change(params: params, encoding: encoding)
            case .didClose: try documents.close(params: params)
            case .didChangeConfiguration:
                if let sedd = try JSONFieldReader(params, path: "").optionalObject("settings")?.optionalObject("sedd") {
                    settings = try settings.applying(sedd)
                }
            default: break
            }
        } catch {
            // A notification has no reply; the field and reason are logged (never the text).
            server.log(.warning, "connection \(id): \(method.rawValue) ignored: \(error)")
        }
    }
}

/// Token comparison in time independent of where the first difference is.
enum TokenCheck {
    static func matches(_ offered: String, expected: String) -> Bool {
        let wanted = Array(expected.trimmingWhitespace().utf8)
        let given = Array(offered.utf8)
        guard !wanted.isEmpty else { return false }
        var difference = UInt8(given.count == wanted.count ? 0 : 1)
        for index in 0..<wanted.count {
            difference |= wanted[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
