/// Why a Socket.IO packet could not be decoded (socket.io-parser's decoder errors).
///
/// Any of these closes the whole connection with reason `parse error` and the Manager reconnects
/// (socket.io-client `Manager.ondecoded` → `onclose("parse error")`).
public struct SocketParseError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Base: Sendable, Hashable {
        case unknownPacketType
        case illegalAttachments
        case tooManyAttachments
        case invalidNamespace
        case invalidAckID
        case invalidPayload
        case plaintextWhileReconstructing
        case binaryWhileNotReconstructing
    }

    private let base: Base
    /// The byte offset in the packet's text where decoding stopped, when known.
    public let offset: Int?

    private init(_ base: Base, offset: Int? = nil) {
        self.base = base
        self.offset = offset
    }

    /// The first character is not a packet type `0`–`6`, or the packet is empty.
    public static let unknownPacketType = SocketParseError(.unknownPacketType)
    /// The attachment count of a binary packet is not a non-negative integer followed by `-`, or a
    /// placeholder names an attachment that does not exist.
    public static let illegalAttachments = SocketParseError(.illegalAttachments)
    /// More attachments than `maxAttachments` (socket.io-parser 4.2.6, CVE-2026-33151).
    public static let tooManyAttachments = SocketParseError(.tooManyAttachments)
    /// The namespace is not valid UTF-8.
    public static let invalidNamespace = SocketParseError(.invalidNamespace)
    /// The ack id does not fit a 64-bit unsigned integer.
    public static let invalidAckID = SocketParseError(.invalidAckID)
    /// The payload is not JSON, or not the shape this packet type allows.
    public static let invalidPayload = SocketParseError(.invalidPayload)
    /// A text packet arrived while the attachments of a binary packet were expected.
    public static let plaintextWhileReconstructing = SocketParseError(.plaintextWhileReconstructing)
    /// A binary message arrived with no binary packet waiting for it.
    public static let binaryWhileNotReconstructing = SocketParseError(.binaryWhileNotReconstructing)

    func at(_ offset: Int) -> SocketParseError { SocketParseError(self.base, offset: offset) }

    public static func == (lhs: SocketParseError, rhs: SocketParseError) -> Bool { lhs.base == rhs.base }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.base) }

    /// The reference decoder's message for this error.
    public var description: String {
        switch self.base {
        case .unknownPacketType: "unknown packet type"
        case .illegalAttachments: "illegal attachments"
        case .tooManyAttachments: "too many attachments"
        case .invalidNamespace: "invalid namespace"
        case .invalidAckID: "invalid ack id"
        case .invalidPayload: "invalid payload"
        case .plaintextWhileReconstructing: "got plaintext data when reconstructing a packet"
        case .binaryWhileNotReconstructing: "got binary data when not reconstructing a packet"
        }
    }
}
