/// The payload of an Engine.IO `message` packet: text or raw bytes
/// (engine.io-protocol § Packet encoding, "message").
public enum EngineData: Sendable, Hashable {
    /// A UTF-8 text message (`4<text>` on every transport).
    case text(String)
    /// A binary message: a raw binary WebSocket frame, or `b<base64>` over polling
    /// (engine.io-protocol § HTTP long-polling, "binary data").
    case binary([UInt8])
}
