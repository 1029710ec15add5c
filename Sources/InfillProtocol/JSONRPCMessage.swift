/// JSON-RPC 2.0 message types: requests, notifications, responses and their errors.

/// A request id: JSON-RPC allows integers and strings (we reject fractions and `null`).
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case number(Int64)
    case string(String)

    public var json: JSONValue {
        switch self {
        case .number(let value): return .number(JSONNumber(value))
        case .string(let text): return .string(text)
        }
    }

    /// A stable text key, distinct for `1` and `"1"` (used as the scheduler's request key).
    public var key: String {
        switch self {
        case .number(let value): return "n:\(value)"
        case .string(let text): return "s:\(text)"
        }
    }

    public var description: String {
        switch self {
        case .number(let value): return String(value)
        case .string(let text): return "\"\(text)\""
        }
    }

    /// Reads an id value; `nil` for anything that is not an integer or a string.
    public init?(json: JSONValue) {
        switch json {
        case .string(let text): self = .string(text)
        case .number(let number):
            guard number.isIntegerLiteral, let value = Int64(number.literal) else { return nil }
            self = .number(value)
        default: return nil
        }
    }
}

/// The error codes of JSON-RPC 2.0 and LSP that this daemon uses.
public enum ErrorCode: Int, Sendable, CaseIterable {
    case parseError = -32700
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
    case internalError = -32603
    case serverNotInitialized = -32002
    case requestCancelled = -32800
    case contentModified = -32801
    case serverCancelled = -32802
    case requestFailed = -32803
}

/// The `error` member of a response.
public struct ResponseError: Error, Equatable, Sendable {
    public var code: ErrorCode
    public var message: String
    public var data: JSONValue?

    public init(code: ErrorCode, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["code": .int(code.rawValue), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }
}

/// A request: it has an id and must get exactly one response.
public struct Request: Equatable, Sendable {
    public var id: RequestID
    public var method: String
    public var params: JSONValue?

    public init(id: RequestID, method: String, params: JSONValue?) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// A notification: no id, never answered.
public struct Notification: Equatable, Sendable {
    public var method: String
    public var params: JSONValue?

    public init(method: String, params: JSONValue?) {
        self.method = method
        self.params = params
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { members["params"] = params }
        return .object(members)
    }
}

/// A response; `id` is `nil` (sent as `null`) when the request's id could not be read.
public struct Response: Equatable, Sendable {
    public var id: RequestID?
    public var outcome: Result<JSONValue, ResponseError>

    public init(id: RequestID?, result: JSONValue) {
        self.id = id
        outcome = .success(result)
    }

    public init(id: RequestID?, error: ResponseError) {
        self.id = id
        outcome = .failure(error)
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["jsonrpc": "2.0", "id": id?.json ?? .null]
        switch outcome {
        case .success(let result): members["result"] = result
        case .failure(let error): members["error"] = error.json
        }
        return .object(members)
    }
}

/// One decoded message from a client.
public enum IncomingMessage: Equatable, Sendable {
    case request(Request)
    case notification(Notification)
    /// A response to a request we sent; this server sends none, so these are only logged.
    case response(id: RequestID?)

    /// Decodes one JSON-RPC message object. A failure (`.invalidMessage`) carries the id when it could
    /// be recovered, so that the reply can name it (every request gets a reply).
    public static func decode(_ value: JSONValue) throws(InfillProtocolError) -> IncomingMessage {
        guard case .object(let members) = value else {
            throw .invalidMessage(id: nil, reason: "expected a JSON-RPC message object, got \(value.typeName)")
        }
        var id: RequestID?
        if let rawID = members["id"] {
            guard let parsed = RequestID(json: rawID) else {
                throw .invalidMessage(id: nil, reason: "id: expected an integer or a string, got \(rawID.typeName)")
            }
            id = parsed
        }
        guard members["jsonrpc"] == .string("2.0") else {
            let got = members["jsonrpc"].map { JSONWriter.string($0) } ?? "nothing"
            throw .invalidMessage(id: id, reason: "jsonrpc: expected \"2.0\", got \(got)")
        }
        guard let rawMethod = members["method"] else {
            if members["result"] != nil || members["error"] != nil { return .response(id: id) }
            throw .invalidMessage(id: id, reason: "method: missing; expected a method name string")
        }
        guard case .string(let method) = rawMethod else {
            throw .invalidMessage(id: id, reason: "method: expected a string, got \(rawMethod.typeName)")
        }
        // `"params": null` is sent by some clients (e.g. for shutdown); it means no params.
        var params = members["params"]
        if params == .null { params = Optional.none }
        if let params {
            switch params {
            case .object, .array: break
            default:
                throw .invalidMessage(id: id, reason: "params: expected an object or an array, got \(params.typeName)")
            }
        }
        if let id { return .request(Request(id: id, method: method, params: params)) }
        return .notification(Notification(method: method, params: params))
    }
}

/// What one framed body holds: a single message or a batch (a JSON array).
public enum IncomingPayload: Equatable, Sendable {
    case single(JSONValue)
    case batch([JSONValue])

    /// Parses a framed body; throws ParseError-class errors (invalid JSON or UTF-8).
    public static func parse(_ body: [UInt8]) throws(InfillProtocolError) -> IncomingPayload {
        let value = try JSONParser.parse(body)
        if case .array(let elements) = value { return .batch(elements) }
        return .single(value)
    }
}
