/// One WebSocket message as the transport sends or receives it
/// (engine.io-protocol § WebSocket: one Engine.IO packet per WebSocket message).
public enum WebSocketMessage: Sendable, Hashable {
    /// A text frame carrying `<type char><data>`.
    case text(String)
    /// A binary frame carrying the raw bytes of a binary `message` packet, with no type prefix.
    case binary([UInt8])
}
