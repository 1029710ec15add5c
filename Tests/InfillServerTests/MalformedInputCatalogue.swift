import InfillProtocol

/// The catalogue of malformed inputs: each with its documented answer (protocol.md, "Errors") and what
/// the connection must do afterwards.
struct MalformedCase {
    enum Setup { case fresh, detected, initialized, withDocument, shutDown }

    enum Expectation {
        /// Exactly one new response: this error code and id, its message containing every `mentions`.
        case error(code: Int, id: JSONValue, mentions: [String])
        /// Several framing errors in a row (the stream re-synchronises after each), all with `id: null`.
        case errors(code: Int, count: Int)
        /// Nothing is sent back.
        case noResponse
        /// One batch array answering these ids, each with an error code or nil for a result.
        case batch([(id: JSONValue, code: Int?)])
        /// A success response with this id (inputs that look odd but are valid).
        case result(id: JSONValue)
    }

    enum FollowUp {
        /// A `sedd/status` request afterwards gets its result.
        case servesStatus
        /// A request afterwards gets this error (e.g. after `shutdown`).
        case refusesWith(Int)
        /// The connection was closed.
        case closed
    }

    var name: String
    var setup: Setup = .fresh
    var lsp = false
    var input: [UInt8]
    var endInput = false
    var expectation: Expectation
    var followUp = FollowUp.servesStatus
}

private func line(_ text: String) -> [UInt8] { Array((text + "\n").utf8) }
private func framed(_ body: String, headers: String = "") -> [UInt8] {
    Array("Content-Length: \(body.utf8.count)\r\n\(headers)\r\n\(body)".utf8)
}
private func infill(_ params: String) -> [UInt8] {
    line(#"{"jsonrpc":"2.0","id":5,"method":"sedd/infill","params":\#(params)}"#)
}
private func invalidParams(_ params: String, _ mentions: String...) -> MalformedCase {
    MalformedCase(
        name: "sedd/infill \(params)", input: infill(params),
        expectation: .error(code: -32602, id: 5, mentions: mentions))
}
private func request(_ method: String, _ params: String = "{}", id: String = "5") -> [UInt8] {
    line(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
}

let statusBody = #"{"jsonrpc":"2.0","id":5,"method":"sedd/status"}"#
let nulls = JSONValue.null

let malformedCatalogue: [MalformedCase] = [
    // Not JSON.
    MalformedCase(
        name: "truncated JSON", input: line(#"{"jsonrpc":"2.0","id":1,"#),
        expectation: .error(code: -32700, id: nulls, mentions: ["invalid JSON"])),
    MalformedCase(
        name: "not JSON at all", input: line("hello world"),
        expectation: .error(code: -32700, id: nulls, mentions: ["framing"])),
    MalformedCase(
        name: "invalid UTF-8 in a string",
        input: Array(#"{"jsonrpc":"2.0","id":1,"method":"sedd/status","params":{"x":""#.utf8) + [0xC3, 0x28]
            + line(#""}}"#),
        expectation: .error(code: -32700, id: nulls, mentions: ["UTF-8"])),
    MalformedCase(
        name: "overlong UTF-8", input: Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + line(#""}"#),
        expectation: .error(code: -32700, id: nulls, mentions: ["UTF-8"])),
    MalformedCase(
        name: "UTF-8 encoded surrogate", input: Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + line(#""}"#),
        expectation: .error(code: -32700, id: nulls, mentions: ["UTF-8"])),
    MalformedCase(
        name: "lone surrogate escape", input: line(#"{"a":"\ud800"}"#),
        expectation: .error(code: -32700, id: nulls, mentions: ["surrogate"])),
    MalformedCase(
        name: "raw control character in a string", input: Array(#"{"a":"x"#.utf8) + [0x01] + line(#""}"#),
        expectation: .error(code: -32700, id: nulls, mentions: ["control character"])),
    MalformedCase(
        name: "trailing data after the value", input: line(statusBody + " x"),
        expectation: .error(code: -32700, id: nulls, mentions: ["after the value"])),
    MalformedCase(
        name: "nesting too deep", input: line(String(repeating: "[", count: 300) + String(repeating: "]", count: 300)),
        expectation: .error(code: -32700, id: nulls, mentions: ["nesting"])),

    // JSON, but not a JSON-RPC message.
    MalformedCase(
        name: "a number instead of a message", setup: .detected, input: line("42"),
        expectation: .error(code: -32600, id: nulls, mentions: ["message object"])),
    MalformedCase(
        name: "a string instead of a message", setup: .detected, input: line(#""hi""#),
        expectation: .error(code: -32600, id: nulls, mentions: ["message object"])),
    MalformedCase(
        name: "missing jsonrpc", input: line(#"{"id":5,"method":"sedd/status"}"#),
        expectation: .error(code: -32600, id: 5, mentions: ["jsonrpc", "2.0"])),
    MalformedCase(
        name: "wrong jsonrpc version", input: line(#"{"jsonrpc":"1.0","id":5,"method":"sedd/status"}"#),
        expectation: .error(code: -32600, id: 5, mentions: ["jsonrpc"])),
    MalformedCase(
        name: "method is a number", input: line(#"{"jsonrpc":"2.0","id":5,"method":3}"#),
        expectation: .error(code: -32600, id: 5, mentions: ["method"])),
    MalformedCase(
        name: "id is an object", input: line(#"{"jsonrpc":"2.0","id":{},"method":"sedd/status"}"#),
        expectation: .error(code: -32600, id: nulls, mentions: ["id"])),
    MalformedCase(
        name: "id is a fraction", input: line(#"{"jsonrpc":"2.0","id":1.5,"method":"sedd/status"}"#),
        expectation: .error(code: -32600, id: nulls, mentions: ["id"])),
    MalformedCase(
        name: "id is a boolean", input: line(#"{"jsonrpc":"2.0","id":true,"method":"sedd/status"}"#),
        expectation: .error(code: -32600, id: nulls, mentions: ["id"])),
    MalformedCase(
        name: "params is a string", input: line(#"{"jsonrpc":"2.0","id":5,"method":"sedd/status","params":"x"}"#),
        expectation: .error(code: -32600, id: 5, mentions: ["params"])),
    MalformedCase(
        name: "unknown method", input: request("sedd/nothing"),
        expectation: .error(code: -32601, id: 5, mentions: ["sedd/nothing"])),
    MalformedCase(
        name: "unknown $/ request", input: request("$/nothing"),
        expectation: .error(code: -32601, id: 5, mentions: ["$/nothing"])),
    MalformedCase(
        name: "a response sent by the client", setup: .detected,
        input: line(#"{"jsonrpc":"2.0","id":99,"result":{}}"#), expectation: .noResponse),

    // Batches.
    MalformedCase(
        name: "empty batch", input: line("[]"),
        expectation: .error(code: -32600, id: nulls, mentions: ["empty batch"])),
    MalformedCase(
        name: "batch with bad members",
        input: line(
            #"[1,{"jsonrpc":"2.0","id":7,"method":"sedd/status"},{"jsonrpc":"2.0","method":"initialized"},{"id":8}]"#),
        expectation: .batch([(nulls, -32600), (7, nil), (8, -32600)])),
    MalformedCase(
        name: "batch of notifications only",
        input: line(#"[{"jsonrpc":"2.0","method":"initialized"},{"jsonrpc":"2.0","method":"$/x"}]"#),
        expectation: .noResponse),

    // sedd/infill parameters.
    MalformedCase(
        name: "sedd/infill without params", input: line(#"{"jsonrpc":"2.0","id":5,"method":"sedd/infill"}"#),
        expectation: .error(code: -32602, id: 5, mentions: ["params"])),
    invalidParams(#"{"prefix":"a","steps":0}"#, "steps", "1...1024", "got 0"),
    invalidParams(#"{"prefix":"a","steps":1025}"#, "steps", "1...1024"),
    invalidParams(#"{"prefix":"a","steps":"16"}"#, "steps", "got a string"),
    invalidParams(#"{"prefix":"a","steps":2.5}"#, "steps", "2.5"),
    invalidParams(#"{"prefix":"a","n":9}"#, "n", "1...8"),
    invalidParams(#"{"prefix":"a","length":0}"#, "length", "1...65536"),
    invalidParams(#"{"prefix":"a","sampler":"magic"}"#, "sampler", #""analytic", "euler""#),
    invalidParams(#"{"prefix":"a","stop":"word"}"#, "stop", #""none", "line""#),
    invalidParams(#"{"prefix":"a","temperature":2.5}"#, "temperature", "0"),
    invalidParams(#"{"prefix":"a","temperature":"hot"}"#, "temperature", "a number"),
    invalidParams(#"{"prefix":"a","unmasking":"greedy"}"#, "unmasking", #""random", "confident""#),
    invalidParams(#"{"prefix":"a","contextRefresh":0}"#, "contextRefresh", "1...1024"),
    invalidParams(#"{"prefix":"a","contextRefresh":2.5}"#, "contextRefresh", "integer"),
    invalidParams(#"{"prefix":"a","seed":-1}"#, "seed", "0...18446744073709551615"),
    invalidParams(#"{"prefix":"a","deadlineMs":0}"#, "deadlineMs", "1...600000"),
    invalidParams(#"{"prefix":"a","preview":"yes"}"#, "preview", "true or false"),
    invalidParams(#"{"prefix":"a","fixedLength":1}"#, "fixedLength", "true or false"),
    invalidParams(#"{"prefix":"a","minScore":"x"}"#, "minScore", "a number"),
    invalidParams(#"{"prefix":7}"#, "prefix", "a string"),
    invalidParams(#"{"prefix":"a","text":"b","ranges":[]}"#, "params", "either"),
    invalidParams(#"{"text":"abc","ranges":[]}"#, "ranges", "1...16"),
    invalidParams(
        #"{"text":"abc","ranges":[{"start":{"line":3,"character":0},"end":{"line":3,"character":0}}]}"#,
        "ranges[0].start", "past the end"),
    invalidParams(
        #"{"text":"abc","ranges":[{"start":{"line":0,"character":2},"end":{"line":0,"character":1}}]}"#,
        "ranges[0]", "not before its start"),
    invalidParams(
        #"{"text":"abcdef","ranges":[{"start":{"line":0,"character":1},"end":{"line":0,"character":4}},{"start":{"line":0,"character":3},"end":{"line":0,"character":5}}]}"#,
        "ranges[1]", "overlap"),
    invalidParams(#"{"text":"abc","ranges":[7]}"#, "ranges[0]", "an object"),
    invalidParams(
        #"{"text":"abc","ranges":[{"start":{"line":0,"character":"x"},"end":{"line":0,"character":1}}]}"#,
        "ranges[0].start.character", "0...2147483647"),
    invalidParams(
        #"{"ranges":[{"start":{"line":0,"character":0},"end":{"line":0,"character":0}}]}"#, "textDocument or text"),
    MalformedCase(
        name: "document not open", setup: .initialized,
        input: infill(
            #"{"textDocument":{"uri":"file:///nope"},"ranges":[{"start":{"line":0,"character":0},"end":{"line":0,"character":0}}]}"#
        ),
        expectation: .error(code: -32803, id: 5, mentions: ["file:///nope", "not open"])),
    MalformedCase(
        name: "hole larger than the context", input: infill(#"{"prefix":"a","length":2000}"#),
        expectation: .error(code: -32803, id: 5, mentions: ["2000", "1024"])),

    // Lifecycle.
    MalformedCase(
        name: "inlineCompletion before initialize",
        input: request(
            "textDocument/inlineCompletion",
            #"{"textDocument":{"uri":"file:///a"},"position":{"line":0,"character":0}}"#),
        expectation: .error(code: -32002, id: 5, mentions: ["initialize"])),
    MalformedCase(
        name: "shutdown before initialize", input: request("shutdown", "null"),
        expectation: .error(code: -32002, id: 5, mentions: ["shutdown"])),
    MalformedCase(
        name: "unknown textDocument request before initialize", input: request("textDocument/hover"),
        expectation: .error(code: -32002, id: 5, mentions: ["textDocument/hover"])),
    MalformedCase(
        name: "request after shutdown", setup: .shutDown, input: request("sedd/status"),
        expectation: .error(code: -32600, id: 5, mentions: ["shut down"]), followUp: .refusesWith(-32600)),
    MalformedCase(
        name: "initialize twice", setup: .initialized, input: request("initialize"),
        expectation: .error(code: -32600, id: 5, mentions: ["already"])),
    MalformedCase(
        name: "initialize with bad initializationOptions",
        input: request("initialize", #"{"initializationOptions":{"steps":0}}"#),
        expectation: .error(code: -32602, id: 5, mentions: ["initializationOptions.steps", "1...1024"])),
    MalformedCase(
        name: "initialize with non-string position encodings",
        input: request("initialize", #"{"capabilities":{"general":{"positionEncodings":[8]}}}"#),
        expectation: .error(code: -32602, id: 5, mentions: ["positionEncodings[0]"])),
    MalformedCase(
        name: "authenticate without a token", input: request("sedd/authenticate"),
        expectation: .error(code: -32602, id: 5, mentions: ["token"])),

    // Notifications are never answered, even when wrong.
    MalformedCase(
        name: "cancel of an unknown id", setup: .detected,
        input: line(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":12345}}"#), expectation: .noResponse),
    MalformedCase(
        name: "cancel without params", setup: .detected,
        input: line(#"{"jsonrpc":"2.0","method":"$/cancelRequest"}"#), expectation: .noResponse),
    MalformedCase(
        name: "didChange of a document never opened", setup: .initialized,
        input: line(
            #"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///x","version":2},"contentChanges":[{"text":"y"}]}}"#
        ),
        expectation: .noResponse),
    MalformedCase(
        name: "didChange with a range past the end", setup: .withDocument,
        input: line(
            #"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.swift","version":2},"contentChanges":[{"range":{"start":{"line":40,"character":0},"end":{"line":40,"character":0}},"text":"y"}]}}"#
        ),
        expectation: .noResponse),

    // inlineCompletion parameters.
    MalformedCase(
        name: "inlineCompletion with a negative line", setup: .withDocument,
        input: request(
            "textDocument/inlineCompletion",
            #"{"textDocument":{"uri":"file:///a.swift"},"position":{"line":-1,"character":0}}"#),
        expectation: .error(code: -32602, id: 5, mentions: ["position.line", "0...2147483647"])),
    MalformedCase(
        name: "inlineCompletion with a string character", setup: .withDocument,
        input: request(
            "textDocument/inlineCompletion",
            #"{"textDocument":{"uri":"file:///a.swift"},"position":{"line":0,"character":"3"}}"#),
        expectation: .error(code: -32602, id: 5, mentions: ["position.character"])),
    MalformedCase(
        name: "inlineCompletion past the last line", setup: .withDocument,
        input: request(
            "textDocument/inlineCompletion",
            #"{"textDocument":{"uri":"file:///a.swift"},"position":{"line":9,"character":0}}"#),
        expectation: .error(code: -32602, id: 5, mentions: ["position", "past the end"])),
    MalformedCase(
        name: "inlineCompletion on a document not open", setup: .initialized,
        input: request(
            "textDocument/inlineCompletion",
            #"{"textDocument":{"uri":"file:///b"},"position":{"line":0,"character":0}}"#),
        expectation: .error(code: -32803, id: 5, mentions: ["file:///b"])),
    MalformedCase(
        name: "inlineCompletion with a bad triggerKind", setup: .withDocument,
        input: request(
            "textDocument/inlineCompletion",
            #"{"textDocument":{"uri":"file:///a.swift"},"position":{"line":0,"character":0},"context":{"triggerKind":7}}"#
        ),
        expectation: .error(code: -32602, id: 5, mentions: ["context.triggerKind", "1...2"])),

    // LSP framing.
    MalformedCase(
        name: "LSP header without Content-Length", lsp: true,
        input: Array("Content-Type: application/json\r\n\r\n".utf8) + Array(statusBody.utf8),
        expectation: .error(code: -32700, id: nulls, mentions: ["without Content-Length"])),
    MalformedCase(
        name: "LSP non-numeric Content-Length", lsp: true,
        input: Array("Content-Length: twelve\r\n\r\n".utf8) + Array(statusBody.utf8),
        expectation: .error(code: -32700, id: nulls, mentions: ["Content-Length"])),
    MalformedCase(
        name: "LSP Content-Length above --max-message-bytes", lsp: true,
        input: Array("Content-Length: 5000\r\n\r\n{}".utf8),
        expectation: .error(code: -32700, id: nulls, mentions: ["above the limit of 4096"]), followUp: .closed),
    MalformedCase(
        name: "LSP Content-Length larger than what follows, then end of input", lsp: true,
        input: Array("Content-Length: 200\r\n\r\n".utf8) + Array(statusBody.utf8), endInput: true,
        expectation: .error(code: -32700, id: nulls, mentions: ["input ended inside a message"]), followUp: .closed),
    MalformedCase(
        name: "LSP Content-Length larger than the body, next message follows", lsp: true,
        input: Array("Content-Length: 60\r\n\r\n".utf8) + Array(statusBody.utf8)
            + framed(#"{"jsonrpc":"2.0","id":6,"method":"sedd/status"}"#),
        expectation: .errors(code: -32700, count: 2)),
    MalformedCase(
        name: "LSP batch", lsp: true, input: framed("[\(statusBody)]"),
        expectation: .error(code: -32600, id: nulls, mentions: ["batch"])),
    MalformedCase(
        name: "LSP unknown headers are ignored", lsp: true,
        input: framed(statusBody, headers: "Content-Type: application/vim-jsonrpc; charset=utf-8\r\nX-Whatever: 1\r\n"),
        expectation: .result(id: 5)),
    MalformedCase(
        name: "LSP invalid JSON body", lsp: true, input: framed("{nope}"),
        expectation: .error(code: -32700, id: nulls, mentions: ["invalid JSON"])),

    // NDJSON size limit.
    MalformedCase(
        name: "NDJSON line above --max-message-bytes",
        input: line(
            #"{"jsonrpc":"2.0","id":1,"method":"sedd/infill","params":{"prefix":""#
                + String(repeating: "x", count: 5000) + #""}}"#),
        expectation: .error(code: -32700, id: nulls, mentions: ["longer than the limit of 4096"])),
]
