extension EngineStateMachine {
    /// The machine's state (engine.io-protocol § Protocol). Valid transitions are listed
    /// per case; every other event in a state is ignored (returns no actions).
    enum State: Sendable {
        /// Created, `open(now:)` not called yet.
        /// → `.opening` (`open`); → `.closed` (`open` with no transport: `.error`; `close`).
        case idle
        /// The handshake is in progress on one transport.
        /// → `.open` (the `0` packet); → `.opening` on the next transport (failure with
        /// `tryAllTransports`); → `.closed` (failure: `.error`; `close`: `.close`).
        case opening(Opening)
        /// The handshake is done.
        /// → `.closing` (`close` on polling); → `.closed` (`close` on WebSocket, server `1`
        /// over polling, transport close/error, parser error, ping timeout).
        case open(Session)
        /// `close(now:)` on polling: the buffer, then a `1`, are drained through POSTs; sends
        /// are refused into `late` and pings no longer answered (`_sendPacket` drops writes
        /// while closing). GET results are ignored and no GET is issued.
        /// → `.closed` when the POST carrying `1` completes or fails, or the heartbeat fires —
        /// always with reason "forced close".
        case closing(Session, late: [OutgoingMessage])
        /// Terminal; every event is ignored.
        case closed
    }

    /// Per-state data of `.opening`.
    struct Opening: Sendable {
        /// The transport carrying the handshake.
        var kind: TransportKind
        /// Its instance.
        var id: TransportID
        /// Transports not tried yet, in order (used by `tryAllTransports`).
        var remaining: [TransportKind]
    }

    /// Per-state data of `.open` and `.closing`.
    struct Session: Sendable {
        /// The server's handshake.
        var handshake: Handshake
        /// The transport carrying the session.
        var transport: ActiveTransport
        /// The current heartbeat watchdog.
        var heartbeat: Heartbeat
    }

    /// The watchdog armed at the handshake and reset on each ping (engine.io-protocol § Heartbeat).
    struct Heartbeat: Sendable {
        /// Generation of the scheduled `EngineTimer.heartbeat`.
        var generation: UInt64
        /// `now` after which the session counts as dead (`_pingTimeoutTime`).
        var deadline: Int64
    }

    /// The transport carrying an open session.
    enum ActiveTransport: Sendable {
        /// HTTP long-polling, possibly probing an upgrade.
        /// → `.webSocket` when the upgrade completes.
        case polling(Polling)
        /// A WebSocket (terminal for the session's transport).
        case webSocket(TransportID)
    }

    /// Polling transport bookkeeping (engine.io-client lib/transports/polling.ts).
    struct Polling: Sendable {
        /// The polling transport instance.
        var id: TransportID
        /// A GET is outstanding (exactly one while running, docs/quirks.md #24).
        var getInFlight: Bool
        /// The packets of the outstanding POST, if any (at most one, docs/quirks.md #24).
        var postInFlight: [BufferedPacket]?
        /// The WebSocket upgrade probe, if one runs.
        var probe: Probe?
    }

    /// An upgrade probe (engine.io-protocol § Upgrade; engine.io-client lib/socket.ts `_probe`).
    enum Probe: Sendable, Hashable {
        /// WebSocket requested. → `.awaitingPong` (opened, `2probe` sent); failure ⇒ probe error.
        case connecting(TransportID)
        /// `2probe` sent. → `.pausing` on `3probe`; anything else or failure ⇒ probe error.
        case awaitingPong(TransportID)
        /// `3probe` received: "upgrading". Polling is paused (no new GET, writes held) until
        /// the in-flight GET and POST are done; then `5` is sent and the session swaps to the
        /// WebSocket. Failure ⇒ probe error and polling resumes.
        case pausing(TransportID)

        /// The probe's transport.
        var id: TransportID {
            switch self {
            case .connecting(let id), .awaitingPong(let id), .pausing(let id):
                return id
            }
        }
    }

    /// An entry of the write buffer (engine.io-client `writeBuffer`).
    enum BufferedPacket: Sendable, Hashable {
        /// A user message.
        case message(OutgoingMessage)
        /// The answer to a ping (queued like a message, docs/quirks.md #15).
        case pong
        /// The `1` ending a forced close over polling (`Polling.doClose`).
        case close

        /// The Engine.IO packet to put on the wire.
        var packet: EnginePacket {
            switch self {
            case .message(let message):
                return .message(message.data)
            case .pong:
                return .pong("")
            case .close:
                return .close
            }
        }

        /// The user message, if this is one.
        var message: OutgoingMessage? {
            switch self {
            case .message(let message):
                return message
            case .pong, .close:
                return nil
            }
        }
    }
}
