// Opening, handshake, packet handling, heartbeat and close: the transport-independent core.
extension EngineStateMachine {
    // MARK: - Opening

    mutating func makeTransportID() -> TransportID {
        let id = TransportID(rawValue: self.nextTransportID)
        self.nextTransportID += 1
        return id
    }

    /// Opens `kind` for the handshake (`SocketWithoutUpgrade._open`).
    mutating func startOpening(_ kind: TransportKind, remaining: [TransportKind], actions: inout [EngineAction]) {
        let id = self.makeTransportID()
        self.state = .opening(Opening(kind: kind, id: id, remaining: remaining))
        switch kind {
        case .polling:
            actions.append(.get(id, sid: nil))
        case .websocket:
            actions.append(.openWebSocket(id, sid: nil))
        }
    }

    /// The handshake transport failed (`_onError` while opening): with `tryAllTransports` the
    /// next remaining transport is opened (the owner sees only the new transport's actions);
    /// otherwise the engine closes with `.error`.
    mutating func failOpening(_ opening: Opening, _ error: TransportError, actions: inout [EngineAction]) {
        self.webSocketSucceeded = false
        actions.append(.closeTransport(opening.id))
        if self.configuration.tryAllTransports, let next = opening.remaining.first {
            self.startOpening(next, remaining: Array(opening.remaining.dropFirst()), actions: &actions)
            return
        }
        self.state = .closed
        self.writeBuffer = []
        actions.append(.event(.error(error)))
    }

    /// The first packet arrived on the handshake transport: it must be `0{…}`
    /// (engine.io-protocol § Handshake). Returns whether the engine is now open.
    mutating func receiveHandshake(
        _ packet: EnginePacket,
        opening: Opening,
        now: Int64,
        actions: inout [EngineAction]
    ) -> Bool {
        guard case .open(let json) = packet, let handshake = try? Handshake(json: json) else {
            self.failOpening(opening, Self.parserError, actions: &actions)
            return false
        }
        let transport: ActiveTransport
        switch opening.kind {
        case .polling:
            // The handshake GET just returned; the caller issues the next one.
            transport = .polling(Polling(id: opening.id, getInFlight: false, postInFlight: nil, probe: nil))
            self.webSocketSucceeded = false
        case .websocket:
            transport = .webSocket(opening.id)
            self.webSocketSucceeded = true
        }
        // `onHandshake` → `onOpen` (emit open, flush, probe) → `_resetPingTimeout`. The timer is
        // scheduled right after the open event so that a flush or probe can't precede it.
        let heartbeat = self.makeHeartbeat(handshake: handshake, now: now)
        self.state = .open(Session(handshake: handshake, transport: transport, heartbeat: heartbeat))
        actions.append(.event(.open(handshake)))
        actions.append(.scheduleTimer(.heartbeat(generation: heartbeat.generation), afterMilliseconds: Self.heartbeatDelay(handshake)))
        self.flush(actions: &actions)
        self.startProbeIfOffered(actions: &actions)
        return true
    }

    // MARK: - Received packets

    /// One packet on the session's transport (engine.io-client `_onPacket`).
    mutating func receive(_ packet: EnginePacket, over kind: TransportKind, now: Int64, actions: inout [EngineAction]) {
        guard case .open = self.state else {
            return
        }
        switch packet {
        case .ping:
            // `_resetPingTimeout`, `sendPacket("pong")`, emit `ping` — in that order (`_onPacket`).
            self.resetHeartbeat(now: now, actions: &actions)
            self.writeBuffer.append(.pong)
            self.flush(actions: &actions)
            actions.append(.event(.ping))
        case .message(let data):
            actions.append(.event(.message(data)))
        case .close:
            switch kind {
            case .polling:
                self.finishClose(.transportClose, description: "transport closed by the server", actions: &actions)
            case .websocket:
                // Ignored over WebSocket: the server closes the socket next (`_onPacket`).
                break
            }
        case .open:
            // A second handshake is a protocol violation.
            self.finishClose(.transportError, description: Self.parserError.summary, error: Self.parserError, actions: &actions)
        case .pong, .upgrade, .noop:
            // `6` arrives on polling during an upgrade and over WebSocket from python-engineio
            // (docs/quirks.md #23); stray pongs and upgrades carry nothing for a client.
            break
        }
    }

    /// A parse failure on the session's transport ⇒ "transport error" (engine.io-client
    /// `_onPacket`, its `error` case).
    mutating func receiveInvalid(actions: inout [EngineAction]) {
        guard case .open = self.state else {
            return
        }
        self.finishClose(.transportError, description: Self.parserError.summary, error: Self.parserError, actions: &actions)
    }

    static let parserError = TransportError(message: "parser error")

    // MARK: - Heartbeat

    static func heartbeatDelay(_ handshake: Handshake) -> Int64 {
        Int64(handshake.pingInterval) + Int64(handshake.pingTimeout)
    }

    mutating func makeHeartbeat(handshake: Handshake, now: Int64) -> Heartbeat {
        let generation = self.nextTimerGeneration
        self.nextTimerGeneration += 1
        return Heartbeat(generation: generation, deadline: now + Self.heartbeatDelay(handshake))
    }

    /// `_resetPingTimeout`: cancel the current watchdog, arm a new generation.
    mutating func resetHeartbeat(now: Int64, actions: inout [EngineAction]) {
        guard case .open(var session) = self.state else {
            return
        }
        actions.append(.cancelTimer(.heartbeat(generation: session.heartbeat.generation)))
        session.heartbeat = self.makeHeartbeat(handshake: session.handshake, now: now)
        actions.append(
            .scheduleTimer(
                .heartbeat(generation: session.heartbeat.generation),
                afterMilliseconds: Self.heartbeatDelay(session.handshake)
            )
        )
        self.state = .open(session)
    }

    // MARK: - Close

    /// `_onClose`: abandon a probe, cancel the heartbeat, close every transport, report the
    /// close once with what never left and what was in flight, and become `.closed`.
    mutating func finishClose(
        _ reason: EngineCloseReason, description: String?, error: TransportError? = nil, actions: inout [EngineAction]
    ) {
        var inFlight: [OutgoingMessage] = []
        var late: [OutgoingMessage] = []
        switch self.state {
        case .idle:
            break
        case .opening(let opening):
            actions.append(.closeTransport(opening.id))
        case .open(let session):
            self.closeSession(session, inFlight: &inFlight, actions: &actions)
        case .closing(let session, let refused):
            late = refused
            self.closeSession(session, inFlight: &inFlight, actions: &actions)
        case .closed:
            return
        }
        let unsent = self.writeBuffer.compactMap(\.message) + late
        self.writeBuffer = []
        self.state = .closed
        if let error {
            // engine.io-client `_onError`: the `error` event precedes the "transport error" close.
            actions.append(.event(.error(error)))
        }
        actions.append(.event(.close(reason, description: description, unsent: unsent, inFlight: inFlight)))
    }

    private func closeSession(_ session: Session, inFlight: inout [OutgoingMessage], actions: inout [EngineAction]) {
        switch session.transport {
        case .polling(let polling):
            if let probe = polling.probe {
                Self.abandonProbe(probe, actions: &actions)
            }
            actions.append(.cancelTimer(.heartbeat(generation: session.heartbeat.generation)))
            actions.append(.closeTransport(polling.id))
            inFlight = (polling.postInFlight ?? []).compactMap(\.message)
        case .webSocket(let id):
            actions.append(.cancelTimer(.heartbeat(generation: session.heartbeat.generation)))
            actions.append(.closeTransport(id))
        }
    }
}
