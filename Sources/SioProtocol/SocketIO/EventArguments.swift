import SioJSON

/// The arguments of an event or an acknowledgement as they travel: a JSON array text, with
/// `{"_placeholder":true,"num":N}` where binary values stand, and the attachments they name.
///
/// Decoding keeps the original text, so a daemon can forward arguments without building a tree;
/// ``values()`` builds the tree (with the attachments put back) when it is wanted.
public struct EventArguments: Sendable, Hashable {
    /// The JSON array of the arguments, as on the wire.
    public let text: RawJSON
    /// The binary attachments, in placeholder order.
    public let attachments: [[UInt8]]

    /// Arguments from their wire form; `text` must be a JSON array.
    public init(text: RawJSON, attachments: [[UInt8]] = []) {
        self.text = text
        self.attachments = attachments
    }

    /// Arguments from values: binary values become placeholders and attachments
    /// (socket.io-parser `deconstructPacket`).
    public init(_ values: [JSON]) {
        var bytes: [UInt8] = []
        var attachments = Attachments()
        JSON.array(values).write(to: &bytes, binary: &attachments)
        self.text = RawJSON(unchecked: bytes)
        self.attachments = attachments.attachments
    }

    /// No arguments.
    public static let empty = EventArguments(text: RawJSON(unchecked: Array("[]".utf8)))

    /// The arguments as values, with binary attachments in place of their placeholders.
    public func values() throws(JSONError) -> [JSON] {
        let options = JSONParseOptions(binary: self.attachments.isEmpty ? nil : Attachments(self.attachments))
        guard case .array(let values) = try self.text.decode(options: options) else { return [] }
        return values
    }

    /// The last argument when it is a string: the offset of connection state recovery
    /// (socket.io-client `emitEvent`: `_lastOffset` is the last string argument).
    public var lastStringArgument: String? {
        self.text.bytes.withUnsafeBufferPointer { buffer -> String? in
            guard let ranges = try? JSONScanner.scanArray(buffer), let last = ranges.last,
                  buffer[last.lowerBound] == UInt8(ascii: "\"")
            else { return nil }
            return try? JSONScanner.decodeString(buffer, last)
        }
    }
}
