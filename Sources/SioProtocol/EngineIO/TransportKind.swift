/// An Engine.IO transport (engine.io-protocol § Transports). WebTransport is not offered
/// (the reference's engine.io-client lib/transports/webtransport.ts needs HTTP/3).
public enum TransportKind: String, Sendable, Hashable {
    /// HTTP long-polling: one GET receiving, one POST sending (engine.io-protocol § HTTP long-polling).
    case polling
    /// One WebSocket, one packet per message (engine.io-protocol § WebSocket).
    case websocket
}
