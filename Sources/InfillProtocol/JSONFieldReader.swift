/// Reads typed fields out of a JSON object, naming the field path and the accepted range in every
/// error. This is the one way request parameters are validated.
public struct JSONFieldReader {
    public let members: [String: JSONValue]
    /// Path of this object, e.g. `ranges[1].start`; empty for the params object itself.
    public let path: String

    /// Wraps `value`, which must be an object (`path` names it in the error).
    public init(_ value: JSONValue?, path: String) throws(InfillProtocolError) {
        guard let value else { throw .missingField(field: path.isEmpty ? "params" : path, expected: "an object") }
        guard case .object(let members) = value else {
            throw .invalidField(field: path.isEmpty ? "params" : path, expected: "an object", got: value.typeName)
        }
        self.members = members
        self.path = path
    }

    /// The full path of a member.
    public func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// True when the key is present and not `null`.
    public func has(_ key: String) -> Bool {
        guard let value = members[key] else { return false }
        return !value.isNull
    }

    /// A member treated as absent when missing or `null`.
    public func value(_ key: String) -> JSONValue? {
        guard let value = members[key], !value.isNull else { return nil }
        return value
    }

    public func optionalString(_ key: String) throws(InfillProtocolError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else {
            throw .invalidField(field: fieldPath(key), expected: "a string", got: value.typeName)
        }
        return text
    }

    public func string(_ key: String) throws(InfillProtocolError) -> String {
        guard let text = try optionalString(key) else {
            throw .missingField(field: fieldPath(key), expected: "a string")
        }
        return text
    }

    public func optionalBool(_ key: String) throws(InfillProtocolError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else {
            throw .invalidField(field: fieldPath(key), expected: "true or false", got: value.typeName)
        }
        return flag
    }

    /// An integer within `range`; fractions, strings and out-of-range values are rejected.
    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(InfillProtocolError) -> Int? {
        guard let value = value(key) else { return nil }
        let expected = "an integer \(range.lowerBound)...\(range.upperBound)"
        guard case .number(let number) = value else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: value.typeName)
        }
        guard let integer = number.intValue, range.contains(integer) else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: number.literal)
        }
        return integer
    }

    public func int(_ key: String, in range: ClosedRange<Int>) throws(InfillProtocolError) -> Int {
        guard let integer = try optionalInt(key, in: range) else {
            throw .missingField(field: fieldPath(key), expected: "an integer \(range.lowerBound)...\(range.upperBound)")
        }
        return integer
    }

    /// A non-negative integer that fits `UInt64` (seeds).
    public func optionalUInt64(_ key: String) throws(InfillProtocolError) -> UInt64? {
        guard let value = value(key) else { return nil }
        let expected = "an integer 0...\(UInt64.max)"
        guard case .number(let number) = value else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: value.typeName)
        }
        guard let integer = number.uint64Value else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: number.literal)
        }
        return integer
    }

    /// A finite number within `range`.
    public func optionalDouble(_ key: String, in range: ClosedRange<Double>) throws(InfillProtocolError) -> Double? {
        guard let value = value(key) else { return nil }
        let expected = "a number \(format(range.lowerBound))...\(format(range.upperBound))"
        guard case .number(let number) = value else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: value.typeName)
        }
        let double = number.doubleValue
        guard double.isFinite, range.contains(double) else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: number.literal)
        }
        return double
    }

    /// One of a closed set of strings.
    public func optionalChoice<Choice: RawRepresentable & CaseIterable>(_ key: String, of type: Choice.Type)
        throws(InfillProtocolError) -> Choice? where Choice.RawValue == String
    {
        guard let value = value(key) else { return nil }
        let expected = "one of " + Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard case .string(let text) = value else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: value.typeName)
        }
        guard let choice = Choice(rawValue: text) else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: "\"\(text)\"")
        }
        return choice
    }

    /// A nested object reader, or nil when absent.
    public func optionalObject(_ key: String) throws(InfillProtocolError) -> JSONFieldReader? {
        guard let value = value(key) else { return nil }
        return try JSONFieldReader(value, path: fieldPath(key))
    }

    public func object(_ key: String) throws(InfillProtocolError) -> JSONFieldReader {
        guard let value = value(key) else { throw .missingField(field: fieldPath(key), expected: "an object") }
        return try JSONFieldReader(value, path: fieldPath(key))
    }

    /// An array member with its element count limited to `count`.
    public func optionalArray(_ key: String, count: ClosedRange<Int>) throws(InfillProtocolError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        let expected = "an array of \(count.lowerBound)...\(count.upperBound) elements"
        guard case .array(let elements) = value else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: value.typeName)
        }
        guard count.contains(elements.count) else {
            throw .invalidField(field: fieldPath(key), expected: expected, got: "\(elements.count) elements")
        }
        return elements
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
