/// What the driver must do for the engine, in order (engine.io-protocol § Transports, § Protocol).
public enum EngineAction: Sendable, Hashable {
    /// Polling: send a GET (the handshake when `sid` is nil, else a long-poll) and report
    /// `pollCompleted` / `pollFailed`. The engine keeps exactly one in flight (docs/quirks.md #24).
    case get(TransportID, sid: String?)
    /// Polling: POST `body` (a `PollingPayload`, `Content-Type: text/plain;charset=UTF-8`) and
    /// report `postCompleted` / `postFailed`. At most one is in flight (docs/quirks.md #24).
    case post(TransportID, sid: String, body: String)
    /// Open a WebSocket (`sid` nil: a WebSocket-first session; else an upgrade probe) and
    /// report `webSocketOpened` / `webSocketReceived` / `webSocketClosed` / `webSocketFailed`.
    case openWebSocket(TransportID, sid: String?)
    /// Send these messages, one WebSocket message each, in order. `compress` is the
    /// per-message flag shared by the whole run: the engine starts a new action whenever it
    /// changes, so drivers may apply it per action.
    case sendWebSocket(TransportID, [WebSocketMessage], compress: Bool)
    /// WebSocket: close it (no Engine.IO packet). Polling: abandon the transport — issue no
    /// more requests for it; the machine ignores whatever its in-flight requests report.
    case closeTransport(TransportID)
    /// Start (or restart) a timer; report `timerFired` when it elapses.
    case scheduleTimer(EngineTimer, afterMilliseconds: Int64)
    /// Cancel a timer; a firing that races the cancel is ignored by the machine anyway.
    case cancelTimer(EngineTimer)
    /// Deliver an event to the engine's owner.
    case event(EngineEvent)
}
