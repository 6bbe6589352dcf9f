import SioJSON

/// Typed access to named `params`: the one reader every method uses, so one mistake gets one
/// error wherever it is made. Every failure is a −32602 naming the parameter (as a path:
/// `tls.ca`, `transports[1]`); an explicit `null` counts as absent.
///
/// ```swift
/// let p = try RPCParams(params)
/// try p.rejectUnknown(["socket", "timeout"])
/// let name = try p.string("socket")
/// let timeout = try p.optionalInt("timeout", minimum: 0) ?? 5000
/// ```
public struct RPCParams: Sendable {
    /// The params object (empty when `params` was omitted or null).
    public let object: JSONObject
    /// What goes before a member's name in errors (`tls.` for a nested object).
    public let prefix: String

    /// Named params; omitted (or null) params count as `{}`, anything but an object is refused.
    /// `prefix` names a nested object's members (`RPCParams(p.optionalValue("tls"), prefix: "tls.")`).
    public init(_ params: JSON?, prefix: String = "") throws(RPCError) {
        switch params {
        case nil, .null?: self.object = [:]
        case .object(let object)?: self.object = object
        default: throw .invalidParams(prefix.isEmpty ? "params" : String(prefix.dropLast()), "must be an object")
        }
        self.prefix = prefix
    }

    /// The name of member `key` in errors.
    public func name(_ key: String) -> String { self.prefix + key }

    /// A `-32602` for member `key`.
    public func invalid(_ key: String, _ reason: String) -> RPCError { .invalidParams(self.name(key), reason) }

    /// Fails on a member the method does not know, so a typo is an error, not a default.
    /// (`allowed` is a handful of names: an array compares faster than a set hashes, and its
    /// literal is not built on the heap at every call.)
    public func rejectUnknown(_ allowed: [String]) throws(RPCError) {
        for key in self.object.keys where !allowed.contains(key) {
            throw self.invalid(key, "is not a parameter of this method")
        }
    }

    /// A required member of any type.
    public func value(_ key: String) throws(RPCError) -> JSON {
        guard let value = self.optionalValue(key) else { throw self.invalid(key, "is required") }
        return value
    }

    /// An optional member of any type; an explicit `null` counts as absent.
    public func optionalValue(_ key: String) -> JSON? {
        guard let value = self.object[key], !value.isNull else { return nil }
        return value
    }

    /// A required string.
    public func string(_ key: String) throws(RPCError) -> String {
        try self.convert(self.value(key), key, "a string", \.stringValue)
    }

    /// A required string that is not empty.
    public func nonEmptyString(_ key: String) throws(RPCError) -> String {
        let text = try self.string(key)
        guard !text.isEmpty else { throw self.invalid(key, "must not be empty") }
        return text
    }

    /// An optional string.
    public func optionalString(_ key: String) throws(RPCError) -> String? {
        try self.optionalValue(key).map { value throws(RPCError) in try self.convert(value, key, "a string", \.stringValue) }
    }

    /// A required integer.
    public func int(_ key: String) throws(RPCError) -> Int {
        try self.convert(self.value(key), key, "an integer", \.intValue)
    }

    /// An optional integer, at least `minimum` when one is given.
    public func optionalInt(_ key: String, minimum: Int? = nil) throws(RPCError) -> Int? {
        guard let value = self.optionalValue(key) else { return nil }
        let integer = try self.convert(value, key, "an integer", \.intValue)
        if let minimum, integer < minimum { throw self.invalid(key, "must be at least \(minimum)") }
        return integer
    }

    /// An optional number within `range`.
    public func optionalDouble(_ key: String, in range: ClosedRange<Double>) throws(RPCError) -> Double? {
        guard let value = self.optionalValue(key) else { return nil }
        guard case .number(let number) = value, range.contains(number.doubleValue) else {
            throw self.invalid(key, "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number.doubleValue
    }

    /// A required boolean.
    public func bool(_ key: String) throws(RPCError) -> Bool {
        try self.convert(self.value(key), key, "a boolean", \.boolValue)
    }

    /// An optional boolean.
    public func optionalBool(_ key: String) throws(RPCError) -> Bool? {
        try self.optionalValue(key).map { value throws(RPCError) in try self.convert(value, key, "a boolean", \.boolValue) }
    }

    /// A required object.
    public func object(_ key: String) throws(RPCError) -> JSONObject {
        try self.convert(self.value(key), key, "an object", \.objectValue)
    }

    /// An optional object.
    public func optionalObject(_ key: String) throws(RPCError) -> JSONObject? {
        try self.optionalValue(key).map { value throws(RPCError) in try self.convert(value, key, "an object", \.objectValue) }
    }

    /// A required array.
    public func array(_ key: String) throws(RPCError) -> [JSON] {
        try self.convert(self.value(key), key, "an array", \.arrayValue)
    }

    /// An optional array.
    public func optionalArray(_ key: String) throws(RPCError) -> [JSON]? {
        try self.optionalValue(key).map { value throws(RPCError) in try self.convert(value, key, "an array", \.arrayValue) }
    }

    /// An optional array of strings, as a set.
    public func optionalStringSet(_ key: String) throws(RPCError) -> Set<String>? {
        guard let items = try self.optionalArray(key) else { return nil }
        var names = Set<String>()
        for (index, item) in items.enumerated() {
            guard case .string(let name) = item else { throw self.invalid("\(key)[\(index)]", "must be a string") }
            names.insert(name)
        }
        return names
    }

    /// An object whose values are strings (numbers and booleans are taken as their text), in
    /// order: `query`, `extraHeaders`.
    public func stringPairs(_ key: String) throws(RPCError) -> [(String, String)] {
        guard let value = self.optionalValue(key) else { return [] }
        guard case .object(let object) = value else { throw self.invalid(key, "must be an object of strings") }
        var pairs: [(String, String)] = []
        for member in object {
            switch member.value {
            case .string(let text): pairs.append((member.key, text))
            case .number(let number): pairs.append((member.key, number.text))
            case .bool(let flag): pairs.append((member.key, flag ? "true" : "false"))
            default: throw self.invalid(key + "." + member.key, "must be a string")
            }
        }
        return pairs
    }

    private func convert<T>(_ value: JSON, _ key: String, _ kind: String, _ get: (JSON) -> T?) throws(RPCError) -> T {
        guard let converted = get(value) else { throw self.invalid(key, "must be \(kind)") }
        return converted
    }
}
