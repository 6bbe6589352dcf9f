import SioJSON

/// Typed access to named `params`; every failure is a −32602 naming the parameter.
///
/// ```swift
/// let p = try RPCParams(params)
/// let name = try p.string("socket")
/// let timeout = try p.optionalInt("timeout") ?? 5000
/// ```
public struct RPCParams: Sendable {
    /// The params object (empty when `params` was omitted).
    public let object: JSONObject

    /// Named params; omitted params count as `{}`, an array is refused.
    public init(_ params: JSON?) throws(RPCError) {
        switch params {
        case nil: self.object = [:]
        case .object(let object)?: self.object = object
        default: throw .invalidParams("params", "must be an object")
        }
    }

    /// A required member of any type.
    public func value(_ name: String) throws(RPCError) -> JSON {
        guard let value = self.object[name] else { throw .invalidParams(name, "is required") }
        return value
    }

    /// An optional member of any type; an explicit `null` counts as absent.
    public func optionalValue(_ name: String) -> JSON? {
        guard let value = self.object[name], !value.isNull else { return nil }
        return value
    }

    /// A required string.
    public func string(_ name: String) throws(RPCError) -> String {
        try Self.convert(self.value(name), name, "a string", \.stringValue)
    }

    /// An optional string.
    public func optionalString(_ name: String) throws(RPCError) -> String? {
        try self.optionalValue(name).map { value throws(RPCError) in try Self.convert(value, name, "a string", \.stringValue) }
    }

    /// A required integer.
    public func int(_ name: String) throws(RPCError) -> Int {
        try Self.convert(self.value(name), name, "an integer", \.intValue)
    }

    /// An optional integer.
    public func optionalInt(_ name: String) throws(RPCError) -> Int? {
        try self.optionalValue(name).map { value throws(RPCError) in try Self.convert(value, name, "an integer", \.intValue) }
    }

    /// A required boolean.
    public func bool(_ name: String) throws(RPCError) -> Bool {
        try Self.convert(self.value(name), name, "a boolean", \.boolValue)
    }

    /// An optional boolean.
    public func optionalBool(_ name: String) throws(RPCError) -> Bool? {
        try self.optionalValue(name).map { value throws(RPCError) in try Self.convert(value, name, "a boolean", \.boolValue) }
    }

    /// A required object.
    public func object(_ name: String) throws(RPCError) -> JSONObject {
        try Self.convert(self.value(name), name, "an object", \.objectValue)
    }

    /// An optional object.
    public func optionalObject(_ name: String) throws(RPCError) -> JSONObject? {
        try self.optionalValue(name).map { value throws(RPCError) in try Self.convert(value, name, "an object", \.objectValue) }
    }

    /// A required array.
    public func array(_ name: String) throws(RPCError) -> [JSON] {
        try Self.convert(self.value(name), name, "an array", \.arrayValue)
    }

    private static func convert<T>(_ value: JSON, _ name: String, _ kind: String, _ get: (JSON) -> T?) throws(RPCError) -> T {
        guard let converted = get(value) else { throw .invalidParams(name, "must be \(kind)") }
        return converted
    }
}
