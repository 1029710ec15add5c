import Foundation

/// Errors from training and evaluation inputs (data paths, model directories, options, checkpoints).
/// Each message names the path or option, says what was wrong and what is accepted.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidOption(name: String, reason: String)
    case missingPath(path: String)
    case noDocuments(paths: [String], reason: String)
    case corpusTooSmall(tokens: Int, length: Int)
    case tokenizer(directory: String, reason: String)
    case tokenOutOfRange(path: String, token: Int, modelTokens: Int)
    case checkpoint(path: String, reason: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidOption(let name, let reason): return "\(name): \(reason)"
        case .missingPath(let path): return "\(path): no such file or directory"
        case .noDocuments(let paths, let reason):
            return "\(paths.joined(separator: ", ")): no usable documents (\(reason))"
        case .corpusTooSmall(let tokens, let length):
            return "the corpus has \(tokens) tokens, fewer than one block of --length \(length); give more text or a shorter --length"
        case .tokenizer(let directory, let reason): return "\(directory): tokenizer: \(reason)"
        case .tokenOutOfRange(let path, let token, let modelTokens):
            return "\(path): the tokenizer produced id \(token), but the model has only \(modelTokens) tokens (config 'tokens')"
        case .checkpoint(let path, let reason): return "\(path): checkpoint: \(reason)"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}
