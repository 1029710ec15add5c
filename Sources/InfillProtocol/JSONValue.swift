/// A JSON value as it travels on the wire.
///
/// Objects keep a dictionary (duplicate keys: the last one wins, as in most parsers); the writer sorts
/// keys so output is deterministic. Numbers keep their literal text so that integers beyond the range
/// of `Double` (seeds, large ids) survive a round trip exactly.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A short name of the value's type, for error messages ("got a string").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    public var numberValue: JSONNumber? {
        if case .number(let number) = self { return number }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Member lookup on objects; `nil` for other values and missing keys.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// An integer value.
    public static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }

    /// A floating-point value; NaN and infinities become `null` because JSON cannot carry them.
    public static func double(_ value: Double) -> JSONValue {
        value.isFinite ? .number(JSONNumber(value)) : .null
    }
}

/// A JSON number, stored as its literal text (already validated against the JSON grammar).
public struct JSONNumber: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The literal, e.g. `-12`, `3.5e2`.
    public let literal: String

    /// Wraps a literal that the parser has validated. Not for arbitrary text.
    init(validatedLiteral: String) { literal = validatedLiteral }

    public init(_ value: Int) { literal = String(value) }
    public init(_ value: Int64) { literal = String(value) }
    public init(_ value: UInt64) { literal = String(value) }

    public init(_ value: Double) {
        precondition(value.isFinite, "JSON cannot carry NaN or infinity")
        if value == value.rounded(), abs(value) < 1e15 {
            literal = String(Int64(value))
        } else {
            literal = "\(value)"
        }
    }

    public var description: String { literal }

    /// True when the literal has no fraction or exponent part.
    public var isIntegerLiteral: Bool {
        !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
    }

    /// The value as a `Double` (may round for long literals).
    public var doubleValue: Double { Double(literal) ?? .nan }

    /// The exact integer value if the literal is an integer that fits `Int64`. Accepts `3.0`-style
    /// literals whose value is integral, as JavaScript clients may send them.
    public var int64Value: Int64? {
        if isIntegerLiteral { return Int64(literal) }
        let value = doubleValue
        guard value.isFinite, value == value.rounded(), abs(value) <= 9_007_199_254_740_992 else { return nil }
        return Int64(value)
    }

    /// The exact value if it is a non-negative integer that fits `UInt64`.
    public var uint64Value: UInt64? {
        if isIntegerLiteral { return UInt64(literal) }
        guard let value = int64Value, value >= 0 else { return nil }
        return UInt64(value)
    }

    /// The exact integer value if it fits `Int`.
    public var intValue: Int? { int64Value.map { Int($0) } }
}

// Deliberately not ExpressibleByNilLiteral: `nil` must always mean Optional.none, never JSON null.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var members: [String: JSONValue] = [:]
        for (key, value) in elements { members[key] = value }
        self = .object(members)
    }
}
