// Typed views of a value: each is `nil` when the value is of another kind.

extension JSON {
    /// The string, if this is a string.
    public var stringValue: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// The boolean, if this is `true` or `false`.
    public var boolValue: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// The number as an exact `Int` (see ``JSONNumber/intValue``), if this is such a number.
    public var intValue: Int? {
        guard case .number(let value) = self else { return nil }
        return value.intValue
    }

    /// The number as the nearest `Double`, if this is a number.
    public var doubleValue: Double? {
        guard case .number(let value) = self else { return nil }
        return value.doubleValue
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSON]? {
        guard case .array(let value) = self else { return nil }
        return value
    }

    /// The object, if this is an object.
    public var objectValue: JSONObject? {
        guard case .object(let value) = self else { return nil }
        return value
    }

    /// The bytes, if this is binary.
    public var binaryValue: [UInt8]? {
        guard case .binary(let value) = self else { return nil }
        return value
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value of the last member named `key`, if this is an object that has one.
    public subscript(key: String) -> JSON? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The element at `index`, if this is an array and `index` is in range.
    public subscript(index: Int) -> JSON? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// Whether this value is, or contains at any depth, `.binary`.
    public var containsBinary: Bool {
        switch self {
        case .null, .bool, .number, .string: false
        case .binary: true
        case .array(let elements): elements.contains { $0.containsBinary }
        case .object(let object): object.members.contains { $0.value.containsBinary }
        }
    }
}
