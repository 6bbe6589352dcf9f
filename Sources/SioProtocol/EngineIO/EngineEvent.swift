/// What the engine reports to its owner (the Manager machine), carried by
/// `EngineAction.event` (engine.io-client lib/socket.ts `SocketReservedEvents`).
///
/// Every session ends with exactly one terminal event: `.error` if it never opened
/// (nothing was delivered), `.close` otherwise, or when `close(now:)` ends an opening session.
public enum EngineEvent: Sendable, Hashable {
    /// The handshake is done (engine.io-protocol § Handshake).
    case open(Handshake)
    /// A received `4` packet (engine.io-protocol § Packet encoding, "message").
    case message(EngineData)
    /// A server ping arrived; the pong is already queued (engine.io-protocol § Heartbeat).
    case ping
    /// The probe answered `3probe`; writes are held until `.upgrade` or `.upgradeError`
    /// (engine.io-protocol § Upgrade).
    case upgrading(TransportKind)
    /// The session now runs on this transport (engine.io-protocol § Upgrade).
    case upgrade(TransportKind)
    /// The upgrade probe failed ("probe error"); the session stays on polling.
    case upgradeError(String)
    /// The transport failed. Before the handshake the attempt has failed and the engine is
    /// closed (a non-200 handshake, or "No transports available": docs/behaviour.md
    /// § connect_error causes; messages buffered before the handshake are discarded). After
    /// it, this comes right before `.close(.transportError, …)`, as engine.io-client's
    /// `_onError` emits `error` then closes.
    case error(TransportError)
    /// The open (or closing) engine closed (docs/behaviour.md § Engine close reasons). `unsent`
    /// never left the write buffer; `inFlight` were in a polling POST whose response never came,
    /// so the server may or may not have them (docs/quirks.md #29, made visible). Messages written
    /// to a WebSocket count as sent. `description`: nil for "forced close" and "ping timeout";
    /// "transport closed by the server" / the WebSocket close description (default
    /// "websocket connection closed") for "transport close"; `TransportError.summary`
    /// (e.g. "xhr poll error: 400", "parser error") for "transport error".
    case close(EngineCloseReason, description: String?, unsent: [OutgoingMessage], inFlight: [OutgoingMessage])
}
