import SioJSON

/// Reads the members of an RPC call's params object, each with its own `ParamError`.
struct Params {
    let object: JSONObject
    let prefix: String

    init(_ json: JSON?, prefix: String = "") throws(ParamError) {
        switch json {
        case .object(let object)?: self.object = object
        case nil, .null?: self.object = [:]
        default: throw ParamError(prefix.isEmpty ? "params" : String(prefix.dropLast()), "must be an object")
        }
        self.prefix = prefix
    }

    func name(_ key: String) -> String { self.prefix + key }

    func value(_ key: String) -> JSON? {
        guard let value = self.object[key], !value.isNull else { return nil }
        return value
    }

    func string(_ key: String) throws(ParamError) -> String? {
        guard let value = self.value(key) else { return nil }
        guard case .string(let text) = value else { throw ParamError(self.name(key), "must be a string") }
        return text
    }

    func requiredString(_ key: String) throws(ParamError) -> String {
        guard let text = try self.string(key) else { throw ParamError(self.name(key), "is required") }
        guard !text.isEmpty else { throw ParamError(self.name(key), "must not be empty") }
        return text
    }

    func bool(_ key: String) throws(ParamError) -> Bool? {
        guard let value = self.value(key) else { return nil }
        guard case .bool(let flag) = value else { throw ParamError(self.name(key), "must be true or false") }
        return flag
    }

    /// A whole number of milliseconds (or a count), at least `minimum`.
    func integer(_ key: String, minimum: Int64 = 0) throws(ParamError) -> Int64? {
        guard let value = self.value(key) else { return nil }
        guard case .number(let number) = value, let integer = number.intValue else {
            throw ParamError(self.name(key), "must be a whole number")
        }
        guard Int64(integer) >= minimum else { throw ParamError(self.name(key), "must be at least \(minimum)") }
        return Int64(integer)
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws(ParamError) -> Double? {
        guard let value = self.value(key) else { return nil }
        guard case .number(let number) = value, range.contains(number.doubleValue) else {
            throw ParamError(self.name(key), "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number.doubleValue
    }

    /// An object whose values are strings, in order (`query`, `extraHeaders`).
    func stringPairs(_ key: String) throws(ParamError) -> [(String, String)] {
        guard let value = self.value(key) else { return [] }
        guard case .object(let object) = value else { throw ParamError(self.name(key), "must be an object of strings") }
        var pairs: [(String, String)] = []
        for member in object {
            switch member.value {
            case .string(let text): pairs.append((member.key, text))
            case .number(let number): pairs.append((member.key, number.text))
            case .bool(let flag): pairs.append((member.key, flag ? "true" : "false"))
            default: throw ParamError(self.name(key) + "." + member.key, "must be a string")
            }
        }
        return pairs
    }

    /// Fails on a member this call does not know, so a typo is an error, not a silent default.
    func rejectUnknown(allowed: Set<String>) throws(ParamError) {
        for key in self.object.keys where !allowed.contains(key) {
            throw ParamError(self.name(key), "is not a parameter of this method")
        }
    }
}
