/// The callables a torch state_dict pickle may name. Anything else is refused by name; nothing is executed.
enum PickleGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case rebuildParameter
    /// A typed storage class such as `torch.FloatStorage`, used as the storage type in persistent ids.
    case storageType(DType)

    private static let storageClasses: [(String, DType)] = [
        ("FloatStorage", .f32), ("DoubleStorage", .f64), ("HalfStorage", .f16), ("BFloat16Storage", .bf16),
        ("LongStorage", .i64), ("IntStorage", .i32), ("ShortStorage", .i16), ("CharStorage", .i8),
        ("ByteStorage", .u8), ("BoolStorage", .bool),
    ]

    /// Fully qualified names of every accepted global, for error messages.
    static let acceptedNames: [String] =
        ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter"]
        + storageClasses.map { "torch." + $0.0 }

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            guard let match = Self.storageClasses.first(where: { $0.0 == name }) else { return nil }
            self = .storageType(match.1)
        default: return nil
        }
    }
}

/// A storage named by a persistent id: `('storage', torch.XStorage, key, location, numel)`; its bytes live in the
/// zip entry `data/<key>`.
struct PickleStorage: Equatable {
    let dtype: DType
    let key: String
    let location: String
    let elementCount: Int
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view into a storage (offset and strides in elements).
struct PickleTensor: Equatable {
    let storage: PickleStorage
    let storageOffset: Int
    let shape: [Int]
    let strides: [Int]
}

/// Lists are reference types because pickle mutates them in place after memoising them.
final class PickleList {
    var items: [PickleValue] = []
}

/// Dicts keep insertion order (a state_dict is an OrderedDict); a repeated key replaces the value in place, as
/// Python's dict does.
final class PickleDict {
    private(set) var pairs: [(key: PickleValue, value: PickleValue)] = []
    private var stringKeyIndex: [String: Int] = [:]

    func set(_ key: PickleValue, _ value: PickleValue) {
        if case .string(let text) = key {
            if let existing = stringKeyIndex[text] {
                pairs[existing].value = value
                return
            }
            stringKeyIndex[text] = pairs.count
        }
        pairs.append((key, value))
    }
}

/// The values the supported pickle subset can produce.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(PickleStorage)
    case tensor(PickleTensor)

    /// A short description for error messages.
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return "int \(value)"
        case .float(let value): return "float \(value)"
        case .string(let text): return "str \"\(text.prefix(40))\""
        case .tuple(let items): return "tuple of \(items.count)"
        case .list(let list): return "list of \(list.items.count)"
        case .dict(let dict): return "dict of \(dict.pairs.count)"
        case .global(let global): return "global \(global)"
        case .storage(let storage): return "storage \(storage.key)"
        case .tensor: return "tensor"
        }
    }
}
