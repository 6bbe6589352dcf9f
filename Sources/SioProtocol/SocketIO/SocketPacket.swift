import SioJSON

/// A Socket.IO packet (socket.io-protocol § Packet format):
/// `<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]`, then one binary message
/// per attachment.
public struct SocketPacket: Sendable, Hashable {
    /// The packet type.
    public var type: SocketPacketType
    /// The namespace, always starting with `/`; `/` is the main namespace.
    public var namespace: String
    /// The ack id: an EVENT that asks for an acknowledgement, or the ACK that answers it.
    public var id: UInt64?
    /// The payload, if any.
    public var data: SocketPacketData?

    public init(type: SocketPacketType, namespace: String = "/", id: UInt64? = nil, data: SocketPacketData? = nil) {
        self.type = type
        self.namespace = namespace
        self.id = id
        self.data = data
    }

    /// The binary attachments the packet carries.
    public var attachments: [[UInt8]] {
        switch self.data {
        case .event(_, let arguments), .ack(let arguments): arguments.attachments
        case .json, nil: []
        }
    }
}

/// The payload of a ``SocketPacket``, kept as wire text.
public enum SocketPacketData: Sendable, Hashable {
    /// CONNECT (auth, or the server's `{sid, pid}`) and CONNECT_ERROR (`{message, data}`).
    case json(RawJSON)
    /// EVENT and BINARY_EVENT: `[name, ...arguments]`.
    case event(EventName, EventArguments)
    /// ACK and BINARY_ACK: `[...arguments]`.
    case ack(EventArguments)
}

// MARK: - Packets a client sends

extension SocketPacket {
    /// CONNECT for `namespace`, with the auth payload if any (`0`, `0/admin,{"token":"123"}`).
    public static func connect(namespace: String = "/", auth: JSON? = nil) -> SocketPacket {
        SocketPacket(type: .connect, namespace: namespace, data: auth.map { .json(RawJSON($0)) })
    }

    /// DISCONNECT for `namespace` (`1`, `1/admin,`).
    public static func disconnect(namespace: String = "/") -> SocketPacket {
        SocketPacket(type: .disconnect, namespace: namespace)
    }

    /// EVENT, or BINARY_EVENT when the arguments carry binary (socket.io-parser `hasBinary`).
    public static func event(
        _ name: EventName, _ arguments: EventArguments, namespace: String = "/", id: UInt64? = nil
    ) -> SocketPacket {
        SocketPacket(
            type: arguments.attachments.isEmpty ? .event : .binaryEvent,
            namespace: namespace, id: id, data: .event(name, arguments)
        )
    }

    /// ACK, or BINARY_ACK when the arguments carry binary.
    public static func ack(_ arguments: EventArguments, namespace: String = "/", id: UInt64) -> SocketPacket {
        SocketPacket(
            type: arguments.attachments.isEmpty ? .ack : .binaryAck,
            namespace: namespace, id: id, data: .ack(arguments)
        )
    }
}
