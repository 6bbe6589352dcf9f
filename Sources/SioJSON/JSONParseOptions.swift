/// How ``JSON/init(parsing:options:)`` turns objects that stand for bytes into `.binary`.
public struct JSONParseOptions: Sendable {
    /// The binary attachments of a Socket.IO packet. When non-nil, every object whose
    /// `_placeholder` member is `true` becomes `.binary(attachments[num])`; a `num` that is not
    /// an integer in `0..<attachments.count` throws ``JSONError/Code/illegalAttachments``
    /// (socket.io-parser `_reconstructPacket`, socket.io-protocol § Binary).
    public var attachments: [[UInt8]]?
    /// When true, an object whose only member is `"$binary"` with a string value becomes
    /// `.binary` of that string decoded as standard base64; invalid base64 throws
    /// ``JSONError/Code/invalidBase64``. (siod's RPC carries bytes this way.)
    public var dollarBinary: Bool

    /// Options; the defaults turn nothing into `.binary`.
    public init(attachments: [[UInt8]]? = nil, dollarBinary: Bool = false) {
        self.attachments = attachments
        self.dollarBinary = dollarBinary
    }
}
