import SioJSON

/// What a Socket tells its user (socket.io-client lib/socket.ts `SocketReservedEvents`).
public enum SocketEvent: Sendable, Hashable {
    /// Connected to the namespace: `id` is the namespace's sid, `recovered` whether connection
    /// state recovery restored the previous session.
    case connect(id: String, recovered: Bool)
    /// A connection attempt failed (docs/behaviour.md § connect_error causes).
    case connectError(ConnectError)
    /// The socket left its namespace (docs/behaviour.md § Disconnect reasons).
    case disconnect(DisconnectReason, description: String?)
    /// An event from the server.
    case event(IncomingEvent)
    /// The outcome of an emit that asked for an ack.
    case ackResult(EmitToken, Result<EventArguments, AckError>)
    /// The socket is about to send CONNECT and waits for ``NamespaceStateMachine/provideAuth(_:)``
    /// (``SocketOptions/Auth/provider``).
    case authRequested
    /// Events received before the CONNECT reply were dropped at ``SocketOptions/receiveBufferLimit``.
    case eventsDropped(Int)
    /// An event this socket wrote, at the moment it was handed to the transport (only with
    /// ``ManagerConfiguration/reportsOutgoing``): the reference's `onAnyOutgoing`.
    case sent(IncomingEvent)
}

/// An event the server emitted to this socket.
public struct IncomingEvent: Sendable, Hashable {
    /// The event's name.
    public var name: EventName
    /// Its arguments, as on the wire.
    public var arguments: EventArguments
    /// Set when the server waits for an ack: answer with this id.
    public var ackId: UInt64?
    /// With a server that recovers sessions: the session and this event's offset, what a
    /// client that has handled the event would recover from (set by ``NamespaceStateMachine``).
    public var recovery: RecoveryPoint?

    public init(name: EventName, arguments: EventArguments, ackId: UInt64? = nil, recovery: RecoveryPoint? = nil) {
        self.name = name
        self.arguments = arguments
        self.ackId = ackId
        self.recovery = recovery
    }
}

/// A point to recover a session from (socket.io-protocol § Connection state recovery): the
/// server's private session id and the offset of an event.
public struct RecoveryPoint: Sendable, Hashable {
    public var pid: String
    public var offset: String

    public init(pid: String, offset: String) {
        self.pid = pid
        self.offset = offset
    }
}

/// Why a socket disconnected (socket.io-client `DisconnectReason`; docs/behaviour.md
/// § Disconnect reasons).
public enum DisconnectReason: String, Sendable, Hashable, CaseIterable {
    /// The server sent DISCONNECT.
    case ioServerDisconnect = "io server disconnect"
    /// The user called disconnect.
    case ioClientDisconnect = "io client disconnect"
    /// No ping within `pingInterval + pingTimeout`.
    case pingTimeout = "ping timeout"
    /// The transport was closed (WebSocket closed, polling `1`).
    case transportClose = "transport close"
    /// The transport failed (HTTP error, WebSocket error, invalid Engine.IO packet).
    case transportError = "transport error"
    /// The server sent a packet the decoder refused.
    case parseError = "parse error"
    /// The engine was closed on purpose (the Manager closed it).
    case forcedClose = "forced close"

    /// Whether the Manager reconnects after this (docs/behaviour.md § Disconnect reasons).
    public var reconnects: Bool {
        switch self {
        case .ioServerDisconnect, .ioClientDisconnect: false
        case .pingTimeout, .transportClose, .transportError, .parseError, .forcedClose: true
        }
    }
}

/// Why a connection attempt failed (docs/behaviour.md § connect_error causes).
public enum ConnectError: Sendable, Hashable, CustomStringConvertible {
    /// The Engine.IO connection failed (`xhr poll error`, `websocket error`, `timeout`, …).
    /// The socket stays active and the Manager retries.
    case transport(TransportError)
    /// The server refused the CONNECT (middleware, unknown namespace): CONNECT_ERROR with
    /// `message` and `data`. The socket is no longer active and does not retry.
    case refused(message: String, data: JSON?)
    /// The CONNECT reply carried no `sid` (a Socket.IO v2 server).
    case invalidReply

    /// The reference's `err.message`.
    public var description: String {
        switch self {
        case .transport(let error): error.message
        case .refused(let message, _): message
        case .invalidReply:
            "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)"
        }
    }
}
