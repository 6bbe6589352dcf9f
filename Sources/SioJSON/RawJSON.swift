/// One validated JSON value kept as its UTF-8 bytes, without building a tree.
///
/// The hot path forwards Socket.IO event arguments this way: the text a server sent is passed
/// on as it came, and decoded into ``JSON`` only when someone asks.
public struct RawJSON: Sendable, Hashable, CustomStringConvertible {
    /// The value's UTF-8 text, without surrounding whitespace.
    public let bytes: [UInt8]

    /// Validates that `bytes` hold exactly one JSON value (RFC 8259, strictly) and keeps it
    /// without the whitespace around it.
    public init(validating bytes: some Collection<UInt8>) throws(JSONError) {
        self.bytes = try JSONParser.withBuffer(bytes) { buffer throws(JSONError) in
            let range = try JSONScanner.scanDocument(buffer)
            return Array(UnsafeBufferPointer(rebasing: buffer[range]))
        }
    }

    /// Bytes trusted to hold exactly one JSON value, e.g. a range that ``JSONScanner`` has
    /// validated.
    public init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The compact text of `value` (``JSON/serialized``: `.binary` as `JSON.stringify` writes a
    /// Node.js `Buffer`).
    public init(_ value: JSON) {
        var out: [UInt8] = []
        value.write(to: &out)
        self.bytes = out
    }

    /// Parses the bytes into a value.
    public func decode(options: JSONParseOptions = .init()) throws(JSONError) -> JSON {
        try JSON(parsing: self.bytes, options: options)
    }

    /// The text.
    public var string: String {
        String(decoding: self.bytes, as: UTF8.self)
    }

    /// The text.
    public var description: String {
        self.string
    }
}
