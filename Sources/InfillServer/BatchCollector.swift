import InfillProtocol

/// Gathers the responses to one JSON-RPC batch and sends them as one array once the last one is in.
/// Responses to a batch may finish in any order (infill jobs are asynchronous); JSON-RPC lets the array
/// be in any order too.
final class BatchCollector {
    private var remaining: Int
    private var responses: [JSONValue] = []
    private let send: (JSONValue) -> Void

    /// - Parameter expected: how many members will be answered (requests and invalid members).
    init(expected: Int, send: @escaping (JSONValue) -> Void) {
        precondition(expected > 0, "a batch without answers sends nothing and needs no collector")
        remaining = expected
        self.send = send
    }

    func add(_ response: Response) {
        precondition(remaining > 0, "more answers than batch members")
        responses.append(response.json)
        remaining -= 1
        if remaining == 0 { send(.array(responses)) }
    }
}
