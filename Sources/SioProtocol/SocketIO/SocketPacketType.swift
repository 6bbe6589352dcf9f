/// The type of a Socket.IO packet (socket.io-protocol § Packet types).
public enum SocketPacketType: UInt8, Sendable, Hashable, CaseIterable {
    /// `0`: the client asks to join a namespace (payload: auth); the server answers `{sid, pid?}`.
    case connect = 0
    /// `1`: leave a namespace (no payload).
    case disconnect = 1
    /// `2`: an event, payload `[name, ...args]`.
    case event = 2
    /// `3`: an acknowledgement, payload `[...args]`.
    case ack = 3
    /// `4`: the server refused a CONNECT, payload `{message, data?}` (or a string).
    case connectError = 4
    /// `5`: an event with binary attachments.
    case binaryEvent = 5
    /// `6`: an acknowledgement with binary attachments.
    case binaryAck = 6

    /// Whether the packet is followed by binary attachments.
    public var isBinary: Bool {
        switch self {
        case .binaryEvent, .binaryAck: true
        case .connect, .disconnect, .event, .ack, .connectError: false
        }
    }
}
