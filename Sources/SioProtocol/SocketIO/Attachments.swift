import SioJSON

/// Socket.IO's binary attachments (socket.io-protocol § Binary): in the JSON text each bytes
/// value is a placeholder `{"_placeholder":true,"num":N}` naming attachment `N`, numbered in
/// depth-first order (socket.io-parser `deconstructPacket`); reading puts the attachment back
/// in its place (`_reconstructPacket`), and a `num` that names none is `illegal attachments`.
public struct Attachments: JSONBinaryCoding, Sendable, Hashable {
    /// The attachments, in placeholder order.
    public private(set) var attachments: [[UInt8]]

    public init(_ attachments: [[UInt8]] = []) {
        self.attachments = attachments
    }

    public func bytes(of object: JSONObject) throws(JSONBinaryError) -> [UInt8]? {
        guard object["_placeholder"] == .bool(true) else { return nil }
        guard case .number(let num)? = object["num"], let position = num.intValue,
              position >= 0, position < self.attachments.count
        else {
            throw JSONBinaryError("illegal attachments")
        }
        return self.attachments[position]
    }

    public mutating func write(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: #"{"_placeholder":true,"num":"#.utf8)
        out.append(contentsOf: String(self.attachments.count).utf8)
        out.append(UInt8(ascii: "}"))
        self.attachments.append(bytes)
    }
}
