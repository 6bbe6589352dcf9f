/// The engine's `readyState` (engine.io-client lib/socket.ts `SocketState`).
public enum EngineReadyState: Sendable, Hashable {
    /// `open(now:)` not yet called, or the handshake is in progress.
    case opening
    /// The handshake is done.
    case open
    /// `close(now:)` was called on a polling session that still has packets to drain or the
    /// final `1` POST in flight.
    case closing
    /// Closed (or failed to open); every later event is ignored.
    case closed
}
