/// Why an open engine closed; raw values are the reference strings
/// (engine.io-client lib/socket.ts `_onClose`; docs/behaviour.md § Engine close reasons).
public enum EngineCloseReason: String, Sendable {
    /// `close(now:)` was called. Once the engine is closing, this stays the reason even if
    /// the last POST fails or the heartbeat expires meanwhile (the user asked for the close).
    case forcedClose = "forced close"
    /// The server closed the transport: a `1` packet over polling, or the WebSocket closed.
    case transportClose = "transport close"
    /// HTTP error, network error, WebSocket error or an invalid packet ("parser error").
    case transportError = "transport error"
    /// No ping within `pingInterval + pingTimeout` (engine.io-protocol § Heartbeat).
    case pingTimeout = "ping timeout"
}
