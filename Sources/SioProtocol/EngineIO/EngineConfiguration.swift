/// The engine options the state machine uses (engine.io-client `SocketOptions`; URL, header and
/// TLS options belong to the driver, see `EngineURL`).
public struct EngineConfiguration: Sendable, Hashable {
    /// Transports in order of preference; the first opens the session (reference default
    /// `["polling", "websocket"]` without WebTransport). Empty ⇒ "No transports available".
    public var transports: [TransportKind]
    /// Probe an upgrade to WebSocket after a polling handshake (engine.io-protocol § Upgrade).
    public var upgrade: Bool
    /// Start directly on WebSocket when a previous session succeeded with it
    /// (docs/behaviour.md § Upgrade).
    public var rememberUpgrade: Bool
    /// While opening, a failed transport is dropped and the next one tried (engine.io-client
    /// `_onError`).
    public var tryAllTransports: Bool
    /// At most this many packets per polling POST, besides `maxPayload`:
    /// python-engineio silently drops whole POSTs with more than 16 (docs/quirks.md #30).
    /// Values below 1 are treated as 1.
    public var maxPacketsPerPayload: Int

    /// Creates a configuration; every default is the reference client's.
    public init(
        transports: [TransportKind] = [.polling, .websocket],
        upgrade: Bool = true,
        rememberUpgrade: Bool = false,
        tryAllTransports: Bool = false,
        maxPacketsPerPayload: Int = 16
    ) {
        self.transports = transports
        self.upgrade = upgrade
        self.rememberUpgrade = rememberUpgrade
        self.tryAllTransports = tryAllTransports
        self.maxPacketsPerPayload = maxPacketsPerPayload
    }
}
