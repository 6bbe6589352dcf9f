/// Timers the engine asks its driver to run (engine.io-client `_resetPingTimeout`).
public enum EngineTimer: Sendable, Hashable {
    /// The heartbeat watchdog, `pingInterval + pingTimeout` after the handshake or the last
    /// ping (engine.io-protocol § Heartbeat). Each reset uses a new generation; a firing
    /// whose generation is not the current one is ignored.
    case heartbeat(generation: UInt64)
}
