// HTTP long-polling: the GET loop, POST batching, and the events of both requests
// (engine.io-protocol § HTTP long-polling; engine.io-client lib/transports/polling.ts).
extension EngineStateMachine {
    // MARK: - Events

    /// The GET for `id` answered 200 with `body` (a `PollingPayload`). Packets are handled in
    /// order; the first invalid one closes with "transport error" after the ones before it.
    /// Then the next GET is issued — unless the engine closed, polling is pausing for an
    /// upgrade, or the engine is closing.
    public mutating func pollCompleted(_ id: TransportID, body: String, now: Int64) -> [EngineAction] {
        var actions: [EngineAction] = []
        var (packets, error) = PollingPayload.decode(body)
        switch self.state {
        case .opening(let opening) where opening.id == id && opening.kind == .polling:
            guard !packets.isEmpty else {
                self.failOpening(opening, Self.parserError, actions: &actions)
                return actions
            }
            let first = packets.removeFirst()
            guard self.receiveHandshake(first, opening: opening, now: now, actions: &actions) else {
                return actions
            }
        case .open(var session):
            guard case .polling(var polling) = session.transport, polling.id == id, polling.getInFlight else {
                return []
            }
            polling.getInFlight = false
            session.transport = .polling(polling)
            self.state = .open(session)
        case .idle, .opening, .closing, .closed:
            // While closing, received data is no longer delivered (decision, see `State.closing`).
            return []
        }

        for packet in packets {
            self.receive(packet, over: .polling, now: now, actions: &actions)
        }
        if error != nil {
            self.receiveInvalid(actions: &actions)
        }
        self.pollOrCompletePause(actions: &actions)
        return actions
    }

    /// The GET for `id` failed (network error or non-200; reference "xhr poll error" with the
    /// status as description). While opening: next transport or `.error`; once open: close
    /// "transport error".
    public mutating func pollFailed(_ id: TransportID, _ error: TransportError, now: Int64) -> [EngineAction] {
        var actions: [EngineAction] = []
        switch self.state {
        case .opening(let opening) where opening.id == id && opening.kind == .polling:
            self.failOpening(opening, error, actions: &actions)
        case .open(let session):
            guard case .polling(let polling) = session.transport, polling.id == id, polling.getInFlight else {
                return []
            }
            self.webSocketSucceeded = false
            self.finishClose(.transportError, description: error.summary, error: error, actions: &actions)
        case .idle, .opening, .closing, .closed:
            break
        }
        return actions
    }

    /// The POST for `id` answered 200 (the body, `ok`/`OK`, is not inspected — docs/quirks.md #31).
    /// The next batch goes out, or the pause for an upgrade completes; while closing, the
    /// completion of the POST carrying `1` closes the engine.
    public mutating func postCompleted(_ id: TransportID, now: Int64) -> [EngineAction] {
        var actions: [EngineAction] = []
        switch self.state {
        case .open(var session):
            guard case .polling(var polling) = session.transport, polling.id == id, polling.postInFlight != nil else {
                return []
            }
            polling.postInFlight = nil
            session.transport = .polling(polling)
            self.state = .open(session)
            if case .pausing = polling.probe {
                self.pollOrCompletePause(actions: &actions)
            } else {
                self.flush(actions: &actions)
            }
        case .closing(var session, let late):
            guard case .polling(var polling) = session.transport, polling.id == id,
                let sent = polling.postInFlight
            else {
                return []
            }
            polling.postInFlight = nil
            session.transport = .polling(polling)
            self.state = .closing(session, late: late)
            if sent.contains(.close) {
                self.finishClose(.forcedClose, description: nil, actions: &actions)
            } else {
                self.flush(actions: &actions)
            }
        case .idle, .opening, .closed:
            break
        }
        return actions
    }

    /// The POST for `id` failed ("xhr post error", description = HTTP status, e.g. 413 for a
    /// body over `maxPayload`): close "transport error" with its messages as `inFlight`
    /// (while closing: "forced close").
    public mutating func postFailed(_ id: TransportID, _ error: TransportError, now: Int64) -> [EngineAction] {
        var actions: [EngineAction] = []
        switch self.state {
        case .open(let session):
            guard case .polling(let polling) = session.transport, polling.id == id, polling.postInFlight != nil else {
                return []
            }
            self.webSocketSucceeded = false
            self.finishClose(.transportError, description: error.summary, error: error, actions: &actions)
        case .closing(let session, _):
            guard case .polling(let polling) = session.transport, polling.id == id, polling.postInFlight != nil else {
                return []
            }
            self.finishClose(.forcedClose, description: nil, actions: &actions)
        case .idle, .opening, .closed:
            break
        }
        return actions
    }

    // MARK: - GET loop

    /// After a GET or POST completes on an open polling session: issue the next GET, or, when
    /// pausing for an upgrade, swap to the WebSocket once nothing is in flight (`Polling.pause`).
    mutating func pollOrCompletePause(actions: inout [EngineAction]) {
        guard case .open(var session) = self.state, case .polling(var polling) = session.transport else {
            return
        }
        if case .pausing(let probeID) = polling.probe {
            if !polling.getInFlight, polling.postInFlight == nil {
                self.completeUpgrade(session: session, polling: polling, webSocket: probeID, actions: &actions)
            }
            return
        }
        if !polling.getInFlight {
            polling.getInFlight = true
            session.transport = .polling(polling)
            self.state = .open(session)
            actions.append(.get(polling.id, sid: session.handshake.sid))
        }
    }

    // MARK: - Writing

    /// Writes what the transport can take now (engine.io-client `flush`): over WebSocket the
    /// whole buffer; over polling one batch when no POST is in flight. Nothing is written while
    /// upgrading (docs/behaviour.md § Upgrade, step 5) or before the handshake.
    mutating func flush(actions: inout [EngineAction]) {
        guard !self.writeBuffer.isEmpty else {
            return
        }
        switch self.state {
        case .open(var session):
            switch session.transport {
            case .webSocket(let id):
                Self.appendWebSocketWrites(self.writeBuffer, to: id, actions: &actions)
                self.writeBuffer = []
            case .polling(var polling):
                if case .pausing = polling.probe {
                    return
                }
                guard let body = self.takeBatch(into: &polling) else {
                    return
                }
                session.transport = .polling(polling)
                self.state = .open(session)
                actions.append(.post(polling.id, sid: session.handshake.sid, body: body))
            }
        case .closing(var session, let late):
            guard case .polling(var polling) = session.transport, let body = self.takeBatch(into: &polling) else {
                return
            }
            session.transport = .polling(polling)
            self.state = .closing(session, late: late)
            actions.append(.post(polling.id, sid: session.handshake.sid, body: body))
        case .idle, .opening, .closed:
            break
        }
    }

    /// Moves the next batch from the write buffer into `polling.postInFlight` and returns its
    /// body, or `nil` when a POST is already in flight.
    private mutating func takeBatch(into polling: inout Polling) -> String? {
        guard polling.postInFlight == nil, !self.writeBuffer.isEmpty else {
            return nil
        }
        let count = Self.writablePacketCount(
            self.writeBuffer.map(\.packet),
            maxPayload: self.handshake?.maxPayload,
            maxPackets: self.configuration.maxPacketsPerPayload
        )
        let batch = Array(self.writeBuffer.prefix(count))
        self.writeBuffer.removeFirst(count)
        polling.postInFlight = batch
        return PollingPayload.encode(batch.map(\.packet))
    }

    /// How many leading packets go into one POST: engine.io-client
    /// `_getWritablePackets` exactly (engine.io-client lib/socket.ts) — `size = 1`; per packet
    /// add its data's byte length (UTF-8 for text, `ceil(n × 1.33)` for binary); if `i > 0`
    /// and `size > maxPayload` stop before packet `i`; then `size += 2` — and at most
    /// `maxPackets` packets (docs/quirks.md #30). At least one packet is always taken, even if it
    /// alone exceeds `maxPayload` (the server then answers 413).
    static func writablePacketCount(_ packets: [EnginePacket], maxPayload: Int?, maxPackets: Int) -> Int {
        let limit = min(packets.count, max(1, maxPackets))
        guard let maxPayload, maxPayload > 0, limit > 1 else {
            return limit
        }
        var size = 1
        for index in 0..<limit {
            size += Self.dataByteLength(packets[index])
            if index > 0, size > maxPayload {
                return index
            }
            size += 2
        }
        return limit
    }

    /// engine.io-client `byteLength(packet.data)`; a packet without data counts 0.
    private static func dataByteLength(_ packet: EnginePacket) -> Int {
        switch packet {
        case .open(let data), .ping(let data), .pong(let data), .message(.text(let data)):
            return data.utf8.count
        case .message(.binary(let bytes)):
            return Int((Double(bytes.count) * 1.33).rounded(.up))
        case .close, .upgrade, .noop:
            return 0
        }
    }
}
