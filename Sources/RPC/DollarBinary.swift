import SioJSON

/// How siod's RPC carries bytes: `{"$binary":"<base64>"}`, an object whose only member is
/// `$binary` with a string of standard padded base64 (RFC 4648 § 4). Any other object with a
/// `$binary` member is an ordinary object; bad base64 is `invalid base64`.
public struct DollarBinary: JSONBinaryCoding, Sendable {
    public init() {}

    public func bytes(of object: JSONObject) throws(JSONBinaryError) -> [UInt8]? {
        guard object.members.count == 1, object.members[0].key == "$binary",
              case .string(let text) = object.members[0].value
        else { return nil }
        guard let bytes = Base64.decode(text) else { throw JSONBinaryError("invalid base64") }
        return bytes
    }

    public func write(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: #"{"$binary":""#.utf8)
        Base64.encode(bytes, into: &out)
        out.append(contentsOf: #""}"#.utf8)
    }
}

extension JSON {
    /// The compact JSON text, bytes as `{"$binary": …}`: how siod's RPC writes values.
    public func writeRPC(to out: inout [UInt8]) {
        var binary = DollarBinary()
        self.write(to: &out, binary: &binary)
    }

    /// ``writeRPC(to:)`` as a string.
    public var rpcText: String {
        var out: [UInt8] = []
        self.writeRPC(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a line of siod's RPC: `{"$binary": …}` becomes `.binary`.
    public init(parsingRPC bytes: some Collection<UInt8>) throws(JSONError) {
        try self.init(parsing: bytes, options: JSONParseOptions(binary: DollarBinary()))
    }
}
