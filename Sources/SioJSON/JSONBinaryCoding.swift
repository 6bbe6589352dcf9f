/// How a format carries bytes inside JSON text, which has none.
///
/// ``JSON/binary(_:)`` holds bytes; which object stands for them in the text is the business
/// of the format that carries them, not of JSON: Socket.IO numbers its attachments with
/// placeholders (SioProtocol's `Attachments`), siod's RPC writes `{"$binary": "<base64>"}`
/// (RPC's `DollarBinary`). Without one, bytes are written as JavaScript's `JSON.stringify`
/// writes a Node.js `Buffer`, and no object is read as bytes.
public protocol JSONBinaryCoding: Sendable {
    /// The bytes `object` stands for, or nil when it is an ordinary object. Throws why when it
    /// claims to stand for bytes and does not hold them (the parse then fails with
    /// ``JSONError/Code/invalidBinary(_:)``).
    func bytes(of object: JSONObject) throws(JSONBinaryError) -> [UInt8]?

    /// Appends the text that stands for `bytes` (called in document order, depth first).
    mutating func write(_ bytes: [UInt8], to out: inout [UInt8])
}

/// `{"type":"Buffer","data":[…]}`, what `JSON.stringify` makes of a Node.js `Buffer`: the
/// writing of bytes when no format says otherwise (logs, descriptions).
struct NodeBufferBinary: JSONBinaryCoding {
    func bytes(of object: JSONObject) throws(JSONBinaryError) -> [UInt8]? { nil }

    func write(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: #"{"type":"Buffer","data":["#.utf8)
        for (position, byte) in bytes.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: String(byte).utf8)
        }
        out.append(contentsOf: "]}".utf8)
    }
}

/// Why an object that claims to stand for bytes does not hold them, e.g. `illegal
/// attachments`, `invalid base64`.
public struct JSONBinaryError: Error, Sendable, Hashable {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }
}
