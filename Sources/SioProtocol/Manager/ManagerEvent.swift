/// What a Manager tells its user (socket.io-client lib/manager.ts `ManagerReservedEvents`).
public enum ManagerEvent: Sendable, Hashable {
    /// The engine's handshake is done (first connection and every reconnection).
    case open
    /// A connection attempt failed (including `timeout`), or the engine failed after opening.
    case error(TransportError)
    /// The engine closed.
    case close(DisconnectReason, description: String?)
    /// The server pinged.
    case ping
    /// A decoded packet (only with ``ManagerConfiguration/reportsPackets``).
    case packet(SocketPacket)
    /// The connection moved to another transport (`upgrade`).
    case upgrade(TransportKind)
    /// Reconnection attempt number `n` (1-based) begins.
    case reconnectAttempt(Int)
    /// Reconnected after `n` attempts.
    case reconnect(Int)
    /// A reconnection attempt failed.
    case reconnectError(TransportError)
    /// `reconnectionAttempts` exhausted; nothing retries until the next `open`/`connect`.
    case reconnectFailed
    /// An Engine.IO packet received or written (the reference's `socket.io.engine` `packet` and
    /// `packetCreate` events). Reported by a driver when asked, for debugging.
    case enginePacket(PacketDirection, EnginePacket)
    /// The transport's write buffer emptied after a write (the reference's engine `drain`):
    /// over polling the machine says so when a POST is answered and nothing waits for the next;
    /// over WebSocket the driver does, once the frames are handed to the kernel. Drivers pass
    /// it on only when asked.
    case drain
}

/// Which way a reported packet went.
public enum PacketDirection: String, Sendable, Hashable {
    /// From the server (`packet`).
    case received
    /// To the server (`packetCreate`).
    case sent
}

/// A timer a Manager asks its driver to run; generations make stale firings harmless.
public enum ManagerTimer: Sendable, Hashable {
    /// A timer of engine `generation`.
    case engine(generation: UInt64, EngineTimer)
    /// The `timeout` of the connection attempt on engine `generation`.
    case connectTimeout(generation: UInt64)
    /// The backoff before reconnection attempt `generation`.
    case reconnect(generation: UInt64)
    /// The ack timeout of `ackId` on `namespace`.
    case ack(namespace: String, ackId: UInt64)
    /// The `timeout` of `namespace`'s CONNECT on engine `generation`.
    case namespaceConnect(namespace: String, generation: UInt64)
    /// The wait before `namespace` sends its CONNECT again on engine `generation`.
    case namespaceRetry(namespace: String, generation: UInt64)
}

/// A transport of one engine of a Manager.
public struct ConnectionID: Sendable, Hashable, CustomStringConvertible {
    /// The engine generation (a new engine per connection attempt).
    public let engine: UInt64
    /// The transport within that engine.
    public let transport: TransportID

    public init(engine: UInt64, transport: TransportID) {
        self.engine = engine
        self.transport = transport
    }

    public var description: String { "e\(self.engine).t\(self.transport.rawValue)" }
}

/// What a Manager's driver does.
public enum ManagerAction: Sendable, Hashable {
    /// Polling GET: the handshake (`sid` nil) or the next long poll. One in flight per transport.
    case get(ConnectionID, sid: String?)
    /// Polling POST of a payload. One in flight per transport.
    case post(ConnectionID, sid: String, body: String)
    /// Open a WebSocket: a websocket-first session (`sid` nil) or an upgrade probe.
    case openWebSocket(ConnectionID, sid: String?)
    /// Send WebSocket messages, in order.
    case sendWebSocket(ConnectionID, [WebSocketMessage], compress: Bool)
    /// Close that transport (WebSocket close; polling: abandon it).
    case closeTransport(ConnectionID)
    /// Start (or restart) a timer.
    case scheduleTimer(ManagerTimer, afterMilliseconds: Int64)
    /// Stop a timer.
    case cancelTimer(ManagerTimer)
    /// Tell the Manager's user.
    case manager(ManagerEvent)
    /// Tell the user of the socket on `namespace`.
    case socket(namespace: String, SocketEvent)
}
