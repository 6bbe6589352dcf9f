// WebSocket sessions and the polling → WebSocket upgrade probe
// (engine.io-protocol § WebSocket, § Upgrade; engine.io-client lib/transports/websocket.ts,
// lib/socket.ts `_probe`).
extension EngineStateMachine {
    // MARK: - Events

    /// The WebSocket `id` is open. A WebSocket-first transport now waits for `0{…}`; a probe
    /// sends `2probe` — and nothing else until `5` (docs/quirks.md #24).
    public mutating func webSocketOpened(_ id: TransportID, now: Int64) -> [EngineAction] {
        guard case .open(var session) = self.state,
            case .polling(var polling) = session.transport,
            case .connecting(let probeID) = polling.probe, probeID == id
        else {
            return []
        }
        polling.probe = .awaitingPong(probeID)
        session.transport = .polling(polling)
        self.state = .open(session)
        return [.sendWebSocket(probeID, [EnginePacket.ping("probe").webSocketMessage], compress: true)]
    }

    /// A message arrived on the WebSocket `id`: the handshake (WebSocket-first), a session
    /// packet, or the probe's answer (`3probe` ⇒ upgrading; anything else ⇒ probe error).
    public mutating func webSocketReceived(_ id: TransportID, _ message: WebSocketMessage, now: Int64) -> [EngineAction] {
        var actions: [EngineAction] = []
        let packet = try? EnginePacket(decodingWebSocket: message)
        switch self.state {
        case .opening(let opening) where opening.id == id && opening.kind == .websocket:
            guard let packet else {
                self.failOpening(opening, Self.parserError, actions: &actions)
                return actions
            }
            _ = self.receiveHandshake(packet, opening: opening, now: now, actions: &actions)
        case .open(var session):
            switch session.transport {
            case .webSocket(let current) where current == id:
                if let packet {
                    self.receive(packet, over: .websocket, now: now, actions: &actions)
                } else {
                    self.receiveInvalid(actions: &actions)
                }
            case .polling(var polling) where polling.probe?.id == id:
                guard case .awaitingPong(let probeID) = polling.probe else {
                    // After `3probe` the server waits for our `5`; anything it sends is ignored.
                    return []
                }
                guard packet == .pong("probe") else {
                    self.failProbe(actions: &actions)
                    return actions
                }
                // `3probe`: upgrading; pause polling; complete when GET and POST are done.
                self.webSocketSucceeded = true
                polling.probe = .pausing(probeID)
                session.transport = .polling(polling)
                self.state = .open(session)
                actions.append(.event(.upgrading(.websocket)))
                self.pollOrCompletePause(actions: &actions)
            case .webSocket, .polling:
                break
            }
        case .idle, .opening, .closing, .closed:
            break
        }
        return actions
    }

    /// The WebSocket `id` closed. The session's socket ⇒ "transport close" (description, by
    /// default "websocket connection closed"); a probe ⇒ probe error; the handshake transport
    /// ⇒ a failed attempt ("websocket error").
    public mutating func webSocketClosed(_ id: TransportID, description: String?, now: Int64) -> [EngineAction] {
        self.webSocketEnded(
            id,
            closeReason: .transportClose,
            closeDescription: description ?? "websocket connection closed",
            openingError: TransportError(message: "websocket error", description: description ?? "websocket connection closed")
        )
    }

    /// The WebSocket `id` failed ("websocket error"). The session's socket ⇒ "transport
    /// error"; a probe ⇒ probe error; the handshake transport ⇒ a failed attempt.
    public mutating func webSocketFailed(_ id: TransportID, _ error: TransportError, now: Int64) -> [EngineAction] {
        self.webSocketEnded(id, closeReason: .transportError, closeDescription: error.summary, openingError: error)
    }

    private mutating func webSocketEnded(
        _ id: TransportID,
        closeReason: EngineCloseReason,
        closeDescription: String,
        openingError: TransportError
    ) -> [EngineAction] {
        var actions: [EngineAction] = []
        switch self.state {
        case .opening(let opening) where opening.id == id && opening.kind == .websocket:
            self.failOpening(opening, openingError, actions: &actions)
        case .open(let session):
            switch session.transport {
            case .webSocket(let current) where current == id:
                if closeReason == .transportError {
                    self.webSocketSucceeded = false
                }
                self.finishClose(
                    closeReason, description: closeDescription,
                    error: closeReason == .transportError ? openingError : nil, actions: &actions
                )
            case .polling(let polling) where polling.probe?.id == id:
                self.failProbe(actions: &actions)
            case .webSocket, .polling:
                break
            }
        case .idle, .opening, .closing, .closed:
            break
        }
        return actions
    }

    // MARK: - Probe

    /// After a polling handshake: probe WebSocket if `upgrade` is on, the server offers
    /// "websocket" and the configuration allows it (`_filterUpgrades`; docs/behaviour.md
    /// § Upgrade, step 1).
    mutating func startProbeIfOffered(actions: inout [EngineAction]) {
        guard self.configuration.upgrade, self.configuration.transports.contains(.websocket),
            case .open(var session) = self.state,
            session.handshake.upgrades.contains(TransportKind.websocket.rawValue),
            case .polling(var polling) = session.transport, polling.probe == nil
        else {
            return
        }
        let probeID = self.makeTransportID()
        self.webSocketSucceeded = false
        polling.probe = .connecting(probeID)
        session.transport = .polling(polling)
        self.state = .open(session)
        actions.append(.openWebSocket(probeID, sid: session.handshake.sid))
    }

    /// Probe error (docs/behaviour.md § Upgrade, step 6): close the probe, report it, stay on
    /// polling.
    ///
    /// Decision (docs/quirks.md § Other decisions): if polling was already pausing, it resumes —
    /// the next GET is issued and held writes are flushed. (The reference leaves polling paused
    /// and `upgrading` set, which stalls the session until the ping timeout.)
    mutating func failProbe(actions: inout [EngineAction]) {
        guard case .open(var session) = self.state, case .polling(var polling) = session.transport,
            let probe = polling.probe
        else {
            return
        }
        polling.probe = nil
        session.transport = .polling(polling)
        self.state = .open(session)
        Self.abandonProbe(probe, actions: &actions)
        self.pollOrCompletePause(actions: &actions)
        self.flush(actions: &actions)
    }

    /// Closes a probe and reports "probe error".
    static func abandonProbe(_ probe: Probe, actions: inout [EngineAction]) {
        actions.append(.closeTransport(probe.id))
        actions.append(.event(.upgradeError("probe error")))
    }

    /// Polling is paused: send `5` on the probe, make it the session's transport, drop the
    /// polling transport, report the upgrade and flush the held writes over the WebSocket
    /// (docs/behaviour.md § Upgrade, step 4).
    mutating func completeUpgrade(session: Session, polling: Polling, webSocket: TransportID, actions: inout [EngineAction]) {
        var session = session
        session.transport = .webSocket(webSocket)
        self.state = .open(session)
        actions.append(.sendWebSocket(webSocket, [EnginePacket.upgrade.webSocketMessage], compress: true))
        actions.append(.closeTransport(polling.id))
        actions.append(.event(.upgrade(.websocket)))
        self.flush(actions: &actions)
    }

    // MARK: - Writing

    /// One `sendWebSocket` per run of packets sharing a compress flag (control packets use
    /// `true`, the reference default).
    static func appendWebSocketWrites(_ packets: [BufferedPacket], to id: TransportID, actions: inout [EngineAction]) {
        var run: [WebSocketMessage] = []
        var runCompress = true
        for packet in packets {
            let compress = packet.message?.compress ?? true
            if !run.isEmpty, compress != runCompress {
                actions.append(.sendWebSocket(id, run, compress: runCompress))
                run = []
            }
            runCompress = compress
            run.append(packet.packet.webSocketMessage)
        }
        if !run.isEmpty {
            actions.append(.sendWebSocket(id, run, compress: runCompress))
        }
    }
}
