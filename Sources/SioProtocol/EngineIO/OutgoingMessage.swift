/// A `message` packet handed to the engine for sending (engine.io-protocol § Packet encoding,
/// "message"). The `tag` comes back in `EngineEvent.close(…unsent:inFlight:)` when the engine
/// dies before the message is known to have left (docs/quirks.md #29).
public struct OutgoingMessage: Sendable, Hashable {
    /// The message's data.
    public var data: EngineData
    /// Per-message WebSocket compression wish (reference `compress` flag); ignored by polling.
    public var compress: Bool
    /// Opaque to the engine; the manager maps it back to its Socket.IO packet.
    public var tag: UInt64

    /// Creates an outgoing message.
    public init(data: EngineData, compress: Bool = true, tag: UInt64) {
        self.data = data
        self.compress = compress
        self.tag = tag
    }
}
