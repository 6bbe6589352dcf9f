/// One Engine.IO v4 client session as a pure state machine: handshake, polling loop,
/// WebSocket, upgrade, heartbeat and close (engine.io-protocol; engine.io-client
/// lib/socket.ts). Every entry point takes the driver's monotonic `now` in milliseconds and
/// returns the actions to perform, in order; events after `.closed` and events for
/// transport ids the machine no longer uses are ignored.
///
/// Decisions on the reference client's quirks (numbered as in docs/quirks.md):
/// - item 15: the watchdog resets only on `ping`, and pongs queue in the write buffer
///   behind an in-flight POST or an upgrade — reference behaviour, kept.
/// - item 16: `send` after the heartbeat deadline keeps the messages buffered and closes
///   with "ping timeout"; the messages come back as `unsent`.
/// - item 24: one GET, one POST, nothing but `2probe`/`5` on the probe — enforced by state.
/// - item 29: the write buffer is not silently dropped: `.close` reports `unsent` and
///   `inFlight` messages so the owner can re-queue them.
/// - item 30: POSTs are capped by `maxPacketsPerPayload` as well as `maxPayload`; received
///   payloads are unbounded.
/// - item 31: POST response bodies (`ok` / `OK`) are never inspected (`postCompleted` has none).
///   Compressed responses are the driver's: decode them or do not send `Accept-Encoding`.
public struct EngineStateMachine: Sendable {
    let configuration: EngineConfiguration
    var state: State
    /// Packets waiting for the transport (engine.io-client `writeBuffer`); survives from
    /// `.idle` through `.closing` and is reported as `unsent` when the engine closes.
    var writeBuffer: [BufferedPacket]
    var nextTransportID: UInt64
    var nextTimerGeneration: UInt64
    /// See `priorWebSocketSuccess`.
    var webSocketSucceeded: Bool

    /// Creates an idle machine (`readyState == .opening`); call `open(now:)` to start it.
    ///
    /// - Parameter priorWebSocketSuccess: a previous session of this client succeeded over
    ///   WebSocket (reference static `priorWebsocketSuccess`); with `rememberUpgrade` the session
    ///   starts on WebSocket. Carry `self.priorWebSocketSuccess` to the next machine.
    public init(configuration: EngineConfiguration, priorWebSocketSuccess: Bool = false) {
        self.configuration = configuration
        self.state = .idle
        self.writeBuffer = []
        self.nextTransportID = 1
        self.nextTimerGeneration = 1
        self.webSocketSucceeded = priorWebSocketSuccess
    }

    // MARK: - Observing

    /// engine.io-client `readyState`.
    public var readyState: EngineReadyState {
        switch self.state {
        case .idle, .opening:
            return .opening
        case .open:
            return .open
        case .closing:
            return .closing
        case .closed:
            return .closed
        }
    }

    /// The session id, once the handshake is done and until the engine closes.
    public var sid: String? {
        self.handshake?.sid
    }

    /// The server's handshake, while open or closing.
    public var handshake: Handshake? {
        switch self.state {
        case .open(let session), .closing(let session, _):
            return session.handshake
        case .idle, .opening, .closed:
            return nil
        }
    }

    /// The transport carrying (or opening) the session; `nil` before `open` and once closed.
    public var transport: TransportKind? {
        switch self.state {
        case .opening(let opening):
            return opening.kind
        case .open(let session), .closing(let session, _):
            switch session.transport {
            case .polling:
                return .polling
            case .webSocket:
                return .websocket
            }
        case .idle, .closed:
            return nil
        }
    }

    /// Nothing waits to be written: the write buffer is empty and no polling POST is in
    /// flight (engine.io-client emits `drain` then).
    public var isDrained: Bool {
        guard self.writeBuffer.isEmpty else { return false }
        switch self.state {
        case .open(let session), .closing(let session, _):
            if case .polling(let polling) = session.transport { return polling.postInFlight == nil }
            return true
        case .idle, .opening, .closed:
            return true
        }
    }

    /// Whether a write would leave now (for volatile emits, socket.io-client `emit`):
    /// open, not upgrading, and a WebSocket or a polling transport without a POST in flight.
    public var isWritable: Bool {
        guard case .open(let session) = self.state else {
            return false
        }
        switch session.transport {
        case .webSocket:
            return true
        case .polling(let polling):
            if case .pausing = polling.probe {
                return false
            }
            return polling.postInFlight == nil
        }
    }

    /// The throttled-timer guard (engine.io-client `_hasPingExpired`, since 6.6.1): the
    /// heartbeat deadline has passed although its timer has not fired (e.g. after a suspend).
    /// False before the handshake and once closed (the reference answers true when no
    /// deadline is set; its callers only ask while connected).
    public func hasPingExpired(now: Int64) -> Bool {
        switch self.state {
        case .open(let session), .closing(let session, _):
            return now > session.heartbeat.deadline
        case .idle, .opening, .closed:
            return false
        }
    }

    /// Whether the next session should start on WebSocket under `rememberUpgrade`: true after
    /// a WebSocket open or a successful probe, false after any transport error or probe start
    /// (reference static `priorWebsocketSuccess`).
    public var priorWebSocketSuccess: Bool {
        self.webSocketSucceeded
    }

    // MARK: - User calls

    /// Starts the session on the first transport (engine.io-client `_open`): WebSocket
    /// when `rememberUpgrade` and `priorWebSocketSuccess` allow it, else `transports[0]`.
    /// No transport ⇒ `.error("No transports available")`.
    public mutating func open(now: Int64) -> [EngineAction] {
        guard case .idle = self.state else {
            return []
        }
        var candidates = self.configuration.transports
        if self.configuration.rememberUpgrade, self.webSocketSucceeded, candidates.contains(.websocket) {
            candidates.removeAll { $0 == .websocket }
            candidates.insert(.websocket, at: 0)
        }
        guard let first = candidates.first else {
            self.state = .closed
            self.writeBuffer = []
            return [.event(.error(TransportError(message: "No transports available")))]
        }
        var actions: [EngineAction] = []
        self.startOpening(first, remaining: Array(candidates.dropFirst()), actions: &actions)
        return actions
    }

    /// Queues messages (engine.io-client `send`/`_sendPacket`) and writes what the transport
    /// can take. Before the handshake they wait in the buffer; while closing they are refused
    /// and reported as `unsent` at the close; once closed they are dropped. If the heartbeat
    /// deadline has passed (docs/quirks.md #16) they stay buffered and the engine closes with
    /// "ping timeout", returning them as `unsent`.
    public mutating func send(_ messages: [OutgoingMessage], now: Int64) -> [EngineAction] {
        switch self.state {
        case .idle, .opening:
            self.writeBuffer.append(contentsOf: messages.map(BufferedPacket.message))
            return []
        case .open:
            self.writeBuffer.append(contentsOf: messages.map(BufferedPacket.message))
            var actions: [EngineAction] = []
            if self.hasPingExpired(now: now) {
                self.finishClose(.pingTimeout, description: nil, actions: &actions)
            } else {
                self.flush(actions: &actions)
            }
            return actions
        case .closing(let session, var late):
            late.append(contentsOf: messages)
            self.state = .closing(session, late: late)
            return []
        case .closed:
            return []
        }
    }

    /// Closes the engine with reason "forced close" (engine.io-client `close()`).
    ///
    /// Decision (docs/quirks.md § Other decisions; `Polling.doClose`): a probe in progress is
    /// abandoned with "probe error" instead of being waited for. Over polling, the buffer and a
    /// `1` are drained through the normal POST batching — in the common case one POST `…\u{1e}1` —
    /// and the engine stays `.closing` until that POST completes, so the driver never has to
    /// cancel it. Over WebSocket, or while opening, the engine closes at once.
    public mutating func close(now: Int64) -> [EngineAction] {
        var actions: [EngineAction] = []
        switch self.state {
        case .idle, .opening:
            self.finishClose(.forcedClose, description: nil, actions: &actions)
        case .open(var session):
            switch session.transport {
            case .webSocket:
                self.finishClose(.forcedClose, description: nil, actions: &actions)
            case .polling(var polling):
                if let probe = polling.probe {
                    polling.probe = nil
                    Self.abandonProbe(probe, actions: &actions)
                }
                session.transport = .polling(polling)
                self.state = .closing(session, late: [])
                self.writeBuffer.append(.close)
                self.flush(actions: &actions)
            }
        case .closing, .closed:
            break
        }
        return actions
    }

    /// Closes at once with reason "forced close", on any transport and also while `.closing`:
    /// the heartbeat is cancelled, every transport closed, and `.close` reports the whole write
    /// buffer (and messages refused while closing) as `unsent`, a polling POST without an
    /// answer as `inFlight` (docs/quirks.md #29). For an owner that discards the session now (parse
    /// error, dead connection) rather than waiting for `close(now:)` to drain over polling.
    public mutating func abort(now: Int64) -> [EngineAction] {
        var actions: [EngineAction] = []
        self.finishClose(.forcedClose, description: nil, actions: &actions)
        return actions
    }

    // MARK: - Timers

    /// A timer elapsed. The current heartbeat closes an open engine with "ping timeout"
    /// (a closing one with "forced close"); stale generations are ignored.
    public mutating func timerFired(_ timer: EngineTimer, now: Int64) -> [EngineAction] {
        switch timer {
        case .heartbeat(let generation):
            var actions: [EngineAction] = []
            switch self.state {
            case .open(let session) where session.heartbeat.generation == generation:
                self.finishClose(.pingTimeout, description: nil, actions: &actions)
            case .closing(let session, _) where session.heartbeat.generation == generation:
                self.finishClose(.forcedClose, description: nil, actions: &actions)
            case .idle, .opening, .open, .closing, .closed:
                break
            }
            return actions
        }
    }
}
