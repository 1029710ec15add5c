/// Errors from loading or building a model from outside data. Every message names the file and
/// the key, says what was wrong and what is accepted.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String, hint: String)
    case invalidConfig(file: String, key: String, reason: String)
    case missingTensor(file: String, key: String, expectedShape: [Int])
    case unexpectedTensor(file: String, key: String)
    case shapeMismatch(file: String, key: String, expected: [Int], found: [Int])
    case unsupportedDType(file: String, key: String, dtype: String)
    case weightsUnreadable(file: String, reason: String)
    case invalidArgument(name: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path, let hint): return "\(path): file not found (\(hint))"
        case .invalidConfig(let file, let key, let reason): return "\(file): config key '\(key)' \(reason)"
        case .missingTensor(let file, let key, let shape):
            return "\(file): tensor '\(key)' is missing (expected shape \(shape))"
        case .unexpectedTensor(let file, let key):
            return "\(file): unexpected tensor '\(key)' (not a parameter of this configuration)"
        case .shapeMismatch(let file, let key, let expected, let found):
            return "\(file): tensor '\(key)' has shape \(found), expected \(expected)"
        case .unsupportedDType(let file, let key, let dtype):
            return "\(file): tensor '\(key)' has dtype \(dtype); accepted: F32, F16, BF16, F64"
        case .weightsUnreadable(let file, let reason): return "\(file): \(reason)"
        case .invalidArgument(let name, let reason): return "\(name): \(reason)"
        }
    }
}
