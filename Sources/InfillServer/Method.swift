/// The methods this server knows. A closed enum: dispatch is a `switch`, not a string-keyed registry.
enum Method: String {
    case initialize
    case initialized
    case shutdown
    case exit
    case didOpen = "textDocument/didOpen"
    case didChange = "textDocument/didChange"
    case didClose = "textDocument/didClose"
    case didSave = "textDocument/didSave"
    case inlineCompletion = "textDocument/inlineCompletion"
    case didChangeConfiguration = "workspace/didChangeConfiguration"
    case cancelRequest = "$/cancelRequest"
    case infill = "sedd/infill"
    case status = "sedd/status"
    case authenticate = "sedd/authenticate"

    /// The notification the server sends while denoising.
    static let previewNotification = "sedd/preview"

    /// LSP methods need `initialize` first; `sedd/*` and `$/` ones do not.
    var needsInitialize: Bool {
        switch self {
        case .initialize, .exit, .cancelRequest, .infill, .status, .authenticate: return false
        default: return true
        }
    }

    /// True for method names in an LSP namespace, which before `initialize` are answered with
    /// ServerNotInitialized even when this server does not implement them.
    static func isLSPNamespace(_ name: String) -> Bool {
        name.hasPrefix("textDocument/") || name.hasPrefix("workspace/") || name.hasPrefix("window/")
            || name == "shutdown"
    }
}
