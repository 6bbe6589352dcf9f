import SioJSON

// The engine's life inside a Manager: opening, the reconnection loop, closing (socket.io-client
// lib/manager.ts `open`, `reconnect`, `onclose`; docs/behaviour.md § Manager lifecycle).
extension ManagerStateMachine {
    // MARK: - Opening

    /// `open()`: a new engine per attempt, with the `timeout` timer (docs/quirks.md #12, kept:
    /// `timeout: 0` fails the attempt at once; nil is the reference's `false`).
    mutating func startEngine(reconnect: Bool, now: Int64, into actions: inout [ManagerAction]) {
        self.engineGeneration += 1
        let generation = self.engineGeneration
        var engine = EngineStateMachine(
            configuration: self.configuration.engine, priorWebSocketSuccess: self.priorWebSocketSuccess
        )
        self.decoder.reset()
        self.state = .opening(reconnect: reconnect)
        let engineActions = engine.open(now: now)
        self.engine = engine
        if let timeout = self.configuration.timeout {
            actions.append(.scheduleTimer(.connectTimeout(generation: generation), afterMilliseconds: max(0, timeout)))
        }
        self.process(engineActions, generation: generation, now: now, into: &actions)
    }

    /// The backoff timer fired, or the user asked to connect while waiting for it
    /// (docs/quirks.md #1, fixed: the timer is cancelled and its generation bumped, so a late
    /// firing is ignored).
    mutating func attemptReconnectNow(now: Int64, into actions: inout [ManagerAction]) {
        actions.append(.cancelTimer(.reconnect(generation: self.reconnectGeneration)))
        self.reconnectGeneration += 1
        actions.append(.manager(.reconnectAttempt(self.backoff.attempts)))
        self.startEngine(reconnect: true, now: now, into: &actions)
    }

    /// `reconnect()`: schedules the next attempt, or gives up after `reconnectionAttempts`.
    /// docs/quirks.md #13, kept: `reconnect_failed` leaves the sockets active and nothing retries
    /// until `open`/`connect`. docs/quirks.md #12, fixed: `reconnectionAttempts: 0` means no
    /// attempt.
    mutating func scheduleReconnect(into actions: inout [ManagerAction]) {
        guard self.configuration.reconnection else { return }
        switch self.state {
        case .waitingToReconnect, .opening, .open:
            return
        case .closed:
            break
        }
        if let limit = self.configuration.reconnectionAttempts, self.backoff.attempts >= limit {
            self.backoff.reset()
            actions.append(.manager(.reconnectFailed))
            return
        }
        let delay = self.backoff.duration(using: &self.random)
        self.reconnectGeneration += 1
        self.state = .waitingToReconnect
        actions.append(.scheduleTimer(.reconnect(generation: self.reconnectGeneration), afterMilliseconds: delay))
    }

    /// The attempt failed before the handshake (engine error or `timeout`).
    mutating func openFailed(_ error: TransportError, reconnect: Bool, now: Int64, into actions: inout [ManagerAction]) {
        self.state = .closed
        actions.append(.manager(.error(error)))
        for index in self.sockets.indices {
            let namespace = self.sockets[index].namespace
            self.apply(self.sockets[index].managerFailed(error), namespace: namespace, now: now, into: &actions)
        }
        if reconnect {
            // Reference order (lib/manager.ts `reconnect`): `reconnect_failed` comes before the
            // last `reconnect_error`.
            self.scheduleReconnect(into: &actions)
            actions.append(.manager(.reconnectError(error)))
        } else if self.backoff.attempts == 0 {
            self.scheduleReconnect(into: &actions)
        }
    }

    // MARK: - Engine events

    /// Runs `body` on the engine of `id`'s generation (the current one, or one still closing
    /// gracefully); other generations are ignored.
    mutating func withEngine(
        _ id: ConnectionID, now: Int64, _ body: (inout EngineStateMachine) -> [EngineAction]
    ) -> [ManagerAction] {
        self.withEngine(id.engine, now: now, body)
    }

    mutating func withEngine(
        _ generation: UInt64, now: Int64, _ body: (inout EngineStateMachine) -> [EngineAction]
    ) -> [ManagerAction] {
        var actions: [ManagerAction] = []
        if generation == self.engineGeneration, var engine = self.engine {
            self.engine = nil
            let engineActions = body(&engine)
            self.engine = engine
            self.priorWebSocketSuccess = engine.priorWebSocketSuccess
            self.process(engineActions, generation: generation, now: now, into: &actions)
        } else if var engine = self.closingEngines.removeValue(forKey: generation) {
            let engineActions = body(&engine)
            if engine.readyState != .closed {
                self.closingEngines[generation] = engine
            }
            self.processClosing(engineActions, generation: generation, now: now, into: &actions)
        }
        return actions
    }

    /// Carries the engine's actions over to the driver and reacts to its events.
    ///
    /// An event may end the engine mid-batch (a parse error aborts it, its `.close` discards
    /// it); the batch's later requests and timers belong to a dead session and are dropped.
    /// Cancels and transport closes still go out: they only clean up.
    ///
    /// The engine has already reached its state after the whole batch when the batch's events
    /// are handled, so a message a reaction sends over a WebSocket to which the batch itself
    /// still writes goes after the batch's messages: when the GET carrying a CONNECT reply also
    /// ends the pause for an upgrade, the batch sends `5` on the new WebSocket, and the emits
    /// the reply releases must follow it (python-socketio drops a probe that sends anything
    /// else after `3probe`, and the emits with it).
    mutating func process(_ engineActions: [EngineAction], generation: UInt64, now: Int64, into actions: inout [ManagerAction]) {
        var held: [TransportID: [ManagerAction]] = [:]
        for (index, action) in engineActions.enumerated() {
            let later = engineActions[(index + 1)...]
            switch action {
            case .event(let event):
                guard generation == self.engineGeneration, self.engine != nil else { continue }
                var reaction: [ManagerAction] = []
                self.handle(event, now: now, into: &reaction)
                for action in reaction {
                    if case .sendWebSocket(let id, _, _) = action, id.engine == generation,
                       later.contains(where: { $0.sendsOverWebSocket(id.transport) }) {
                        held[id.transport, default: []].append(action)
                    } else {
                        actions.append(action)
                    }
                }
            case .get, .post, .openWebSocket, .sendWebSocket, .scheduleTimer:
                guard generation == self.engineGeneration, self.engine != nil else { continue }
                Self.forward(action, generation: generation, into: &actions)
                if case .sendWebSocket(let id, _, _) = action, !later.contains(where: { $0.sendsOverWebSocket(id) }) {
                    actions += held.removeValue(forKey: id) ?? []
                }
            case .closeTransport, .cancelTimer:
                Self.forward(action, generation: generation, into: &actions)
            }
        }
        // What is still held was for an engine that ended during the batch: like a message
        // sent on a transport that died, it is gone with it.
    }

    /// The actions of an engine closing gracefully: its transport and timer actions go to the
    /// driver; its final `.close` returns what it never sent to the sockets (docs/quirks.md #29).
    private mutating func processClosing(
        _ engineActions: [EngineAction], generation: UInt64, now: Int64, into actions: inout [ManagerAction]
    ) {
        for action in engineActions {
            switch action {
            case .event(.close(_, _, let unsent, _)):
                self.returnLate(unsent, now: now, into: &actions)
            case .event:
                break
            case .get, .post, .openWebSocket, .sendWebSocket, .scheduleTimer, .closeTransport, .cancelTimer:
                Self.forward(action, generation: generation, into: &actions)
            }
        }
    }

    /// An engine action other than an event, as the driver's action.
    static func forward(_ action: EngineAction, generation: UInt64, into actions: inout [ManagerAction]) {
        switch action {
        case .get(let id, let sid):
            actions.append(.get(ConnectionID(engine: generation, transport: id), sid: sid))
        case .post(let id, let sid, let body):
            actions.append(.post(ConnectionID(engine: generation, transport: id), sid: sid, body: body))
        case .openWebSocket(let id, let sid):
            actions.append(.openWebSocket(ConnectionID(engine: generation, transport: id), sid: sid))
        case .sendWebSocket(let id, let messages, let compress):
            actions.append(.sendWebSocket(ConnectionID(engine: generation, transport: id), messages, compress: compress))
        case .closeTransport(let id):
            actions.append(.closeTransport(ConnectionID(engine: generation, transport: id)))
        case .scheduleTimer(let timer, let delay):
            actions.append(.scheduleTimer(.engine(generation: generation, timer), afterMilliseconds: delay))
        case .cancelTimer(let timer):
            actions.append(.cancelTimer(.engine(generation: generation, timer)))
        case .event:
            break
        }
    }

    private mutating func handle(_ event: EngineEvent, now: Int64, into actions: inout [ManagerAction]) {
        switch event {
        case .open:
            guard case .opening(let reconnect) = self.state else { return }
            actions.append(.cancelTimer(.connectTimeout(generation: self.engineGeneration)))
            self.state = .open
            actions.append(.manager(.open))
            for index in self.sockets.indices {
                let namespace = self.sockets[index].namespace
                self.apply(self.sockets[index].managerOpened(), namespace: namespace, now: now, into: &actions)
            }
            if reconnect {
                let attempt = self.backoff.attempts
                self.backoff.reset()
                actions.append(.manager(.reconnect(attempt)))
            }
        case .message(let data):
            self.received(data, now: now, into: &actions)
        case .ping:
            actions.append(.manager(.ping))
        case .upgrading, .upgradeError:
            break
        case .upgrade(let kind):
            actions.append(.manager(.upgrade(kind)))
        case .error(let error):
            switch self.state {
            case .opening(let reconnect):
                self.engine = nil
                actions.append(.cancelTimer(.connectTimeout(generation: self.engineGeneration)))
                self.openFailed(error, reconnect: reconnect, now: now, into: &actions)
            case .open:
                // The engine failed after opening; its "transport error" close follows. Sockets
                // still waiting for their CONNECT reply get `connect_error` (docs/behaviour.md
                // § connect_error causes).
                actions.append(.manager(.error(error)))
                for index in self.sockets.indices where !self.sockets[index].isConnected {
                    let namespace = self.sockets[index].namespace
                    self.apply(self.sockets[index].managerFailed(error), namespace: namespace, now: now, into: &actions)
                }
            case .closed, .waitingToReconnect:
                break
            }
        case .close(let reason, let description, let unsent, _):
            self.engine = nil
            switch self.state {
            case .opening(let reconnect):
                // Closed before the handshake without an error event: a failed attempt.
                actions.append(.cancelTimer(.connectTimeout(generation: self.engineGeneration)))
                let error = TransportError(message: description ?? reason.rawValue)
                self.openFailed(error, reconnect: reconnect, now: now, into: &actions)
            case .open:
                self.closed(reason: DisconnectReason(reason), description: description, unsent: unsent, now: now, into: &actions)
            case .closed, .waitingToReconnect:
                break
            }
        }
    }

    /// A Socket.IO message: decode, then hand the packet to its namespace.
    ///
    /// docs/quirks.md #14, kept: any decoder error closes the whole connection with `parse error`
    /// and the Manager reconnects, as the reference does; only `maxAttachments` is configurable.
    private mutating func received(_ data: EngineData, now: Int64, into actions: inout [ManagerAction]) {
        let packet: SocketPacket?
        do {
            packet = try self.decoder.decode(data)
        } catch {
            self.closeEngine(reason: .parseError, description: error.description, now: now, into: &actions)
            return
        }
        guard let packet else { return }
        // The reply to a CONNECT: its timeout is over.
        if packet.type == .connect || packet.type == .connectError {
            let timer = ManagerTimer.namespaceConnect(namespace: packet.namespace, generation: self.engineGeneration)
            if self.namespaceTimers.remove(timer) != nil { actions.append(.cancelTimer(timer)) }
        }
        if self.configuration.reportsPackets {
            actions.append(.manager(.packet(packet)))
        }
        if self.owedDisconnects.contains(packet.namespace) {
            // The reply to the CONNECT of a removed socket (docs/quirks.md #4): now it may leave.
            switch packet.type {
            case .connect:
                self.owedDisconnects.remove(packet.namespace)
                let disconnect = NamespaceStateMachine.Action.send(.disconnect(namespace: packet.namespace), compress: true)
                self.apply([disconnect], namespace: packet.namespace, now: now, into: &actions)
                return
            case .connectError:
                self.owedDisconnects.remove(packet.namespace)
                return
            case .disconnect, .event, .ack, .binaryEvent, .binaryAck:
                break
            }
        }
        // Packets for a namespace without a socket are dropped, as in the reference.
        guard let index = self.sockets.firstIndex(where: { $0.namespace == packet.namespace }) else { return }
        let wasActive = self.sockets[index].isActive
        self.apply(self.sockets[index].received(packet), namespace: packet.namespace, now: now, into: &actions)
        if wasActive && !self.sockets[index].isActive {
            // `_destroy`: a server DISCONNECT or CONNECT_ERROR; the engine closes with the last socket.
            self.closeIfNoSocketIsActive(now: now, into: &actions)
        }
    }

    // MARK: - Closing

    /// `onclose`: every socket hears `disconnect`, then the loop reconnects, unless the user
    /// closed (`reconnect: false`, the reference's `skipReconnect`, passed rather than kept).
    /// docs/quirks.md #29: `unsent` (never transmitted) goes back to the sockets' send buffers.
    private mutating func closed(
        reason: DisconnectReason, description: String?, unsent: [OutgoingMessage], reconnect: Bool = true, now: Int64,
        into actions: inout [ManagerAction]
    ) {
        self.decoder.reset()
        self.backoff.reset()
        self.owedDisconnects.removeAll()
        for timer in self.namespaceTimers { actions.append(.cancelTimer(timer)) }
        self.namespaceTimers.removeAll()
        self.state = .closed
        let returned = Self.packets(in: unsent)
        actions.append(.manager(.close(reason, description: description)))
        for index in self.sockets.indices {
            let namespace = self.sockets[index].namespace
            let mine = returned.filter { $0.namespace == namespace }
            self.apply(
                self.sockets[index].managerClosed(reason, description: description, unsent: mine),
                namespace: namespace, now: now, into: &actions
            )
        }
        if reconnect { self.scheduleReconnect(into: &actions) }
    }

    /// Closes the open engine ourselves. `graceful` (the user's close, the last socket leaving)
    /// lets a polling engine drain its buffer, DISCONNECTs and `1` first (it lives on in
    /// `closingEngines`), and nothing reconnects; otherwise (parse error, expired ping,
    /// ``dropConnection(now:)``) it is aborted at once, everything it never sent returns to the
    /// sockets, and the reconnection loop starts.
    mutating func closeEngine(
        reason: DisconnectReason, description: String?, graceful: Bool = false, now: Int64, into actions: inout [ManagerAction]
    ) {
        let unsent = graceful ? self.retireEngine(now: now, into: &actions) : self.abortEngine(now: now, into: &actions)
        self.closed(reason: reason, description: description, unsent: unsent, reconnect: !graceful, now: now, into: &actions)
    }

    /// Aborts the engine (``EngineStateMachine/abort(now:)``) and keeps only its transport and
    /// timer actions; returns what it never sent.
    @discardableResult
    mutating func abortEngine(now: Int64, into actions: inout [ManagerAction]) -> [OutgoingMessage] {
        guard var engine = self.engine else { return [] }
        self.engine = nil
        self.owedDisconnects.removeAll()
        return Self.closeActions(engine.abort(now: now), generation: self.engineGeneration, into: &actions) ?? []
    }

    /// Closes the engine gracefully (``EngineStateMachine/close(now:)``). Over WebSocket it
    /// closes at once and its unsent messages are returned; over polling it keeps draining in
    /// `closingEngines` and reports them when it closes (``processClosing``).
    private mutating func retireEngine(now: Int64, into actions: inout [ManagerAction]) -> [OutgoingMessage] {
        guard var engine = self.engine else { return [] }
        self.engine = nil
        self.owedDisconnects.removeAll()
        let generation = self.engineGeneration
        if let unsent = Self.closeActions(engine.close(now: now), generation: generation, into: &actions) {
            return unsent
        }
        self.closingEngines[generation] = engine
        return []
    }

    /// Forwards a closing engine's transport and timer actions; returns its `.close`'s unsent
    /// messages, or nil when it has not closed yet.
    private static func closeActions(
        _ engineActions: [EngineAction], generation: UInt64, into actions: inout [ManagerAction]
    ) -> [OutgoingMessage]? {
        var unsent: [OutgoingMessage]?
        for action in engineActions {
            switch action {
            case .event(.close(_, _, let messages, _)):
                unsent = messages
            case .event:
                break
            case .get, .post, .openWebSocket, .sendWebSocket, .closeTransport, .scheduleTimer, .cancelTimer:
                Self.forward(action, generation: generation, into: &actions)
            }
        }
        return unsent
    }

    /// Messages a gracefully closing engine never sent, after the sockets heard the close.
    private mutating func returnLate(_ unsent: [OutgoingMessage], now: Int64, into actions: inout [ManagerAction]) {
        let returned = Self.packets(in: unsent)
        guard !returned.isEmpty else { return }
        for index in self.sockets.indices {
            let namespace = self.sockets[index].namespace
            let mine = returned.filter { $0.namespace == namespace }
            guard !mine.isEmpty else { continue }
            self.apply(self.sockets[index].managerReturned(unsent: mine), namespace: namespace, now: now, into: &actions)
        }
    }

    /// `_close()`: closes without reconnecting. Every path ends in ``State/closed`` with the
    /// backoff reset, as the reference's `_close` → `onclose` always resets it: otherwise a
    /// later `connect` whose first attempt fails would never start the loop (`openFailed`
    /// retries only from attempt 0).
    mutating func forceClose(now: Int64, into actions: inout [ManagerAction]) {
        switch self.state {
        case .closed:
            break
        case .waitingToReconnect:
            actions.append(.cancelTimer(.reconnect(generation: self.reconnectGeneration)))
        case .opening:
            actions.append(.cancelTimer(.connectTimeout(generation: self.engineGeneration)))
            self.abortEngine(now: now, into: &actions)
        case .open:
            self.closeEngine(reason: .forcedClose, description: nil, graceful: true, now: now, into: &actions)
        }
        self.state = .closed
        self.backoff.reset()
    }

    /// `_destroy`: when no socket is active any more, the connection has no reason to live.
    mutating func closeIfNoSocketIsActive(now: Int64, into actions: inout [ManagerAction]) {
        guard !self.sockets.contains(where: \.isActive) else { return }
        self.forceClose(now: now, into: &actions)
    }

    // MARK: - Sockets' actions

    /// Carries out a socket's actions: packets to the engine (consecutive ones in one write, so
    /// polling batches them), timers and events to the driver.
    ///
    /// A write can close the engine (expired heartbeat, docs/quirks.md #16); the socket then
    /// already heard `managerClosed`. If that left it active (reset to ``NamespaceStateMachine/State/awaitingManager``,
    /// acks cleared), the rest of its actions describe a state it is no longer in — a `connect`
    /// after the `disconnect`, an ack timer for a cleared ack — and are dropped; packets among
    /// them stay with the socket (send buffer, retry queue). An inactive socket's remaining
    /// actions (its own `disconnect`, ack results) still go out.
    mutating func apply(_ socketActions: [NamespaceStateMachine.Action], namespace: String, now: Int64, into actions: inout [ManagerAction]) {
        var outgoing: [OutgoingMessage] = []
        var written: [SocketEvent] = []
        for action in socketActions {
            if case .send(let packet, let compress) = action {
                for data in packet.encoded() {
                    outgoing.append(OutgoingMessage(data: data, compress: compress))
                }
                // A CONNECT is answered within `timeout`, or the socket hears `timeout`.
                if packet.type == .connect, let timeout = self.configuration.timeout {
                    let timer = ManagerTimer.namespaceConnect(namespace: namespace, generation: self.engineGeneration)
                    self.namespaceTimers.insert(timer)
                    actions.append(.scheduleTimer(timer, afterMilliseconds: timeout))
                }
                if self.configuration.reportsOutgoing, case .event(let name, let arguments) = packet.data {
                    written.append(.sent(IncomingEvent(name: name, arguments: arguments, ackId: packet.id)))
                }
                continue
            }
            if self.write(&outgoing, reporting: &written, namespace: namespace, now: now, into: &actions),
               self.socket(namespace)?.isActive == true {
                return
            }
            switch action {
            case .send:
                break
            case .scheduleAckTimer(let ackId, let delay):
                actions.append(.scheduleTimer(.ack(namespace: namespace, ackId: ackId), afterMilliseconds: delay))
            case .cancelAckTimer(let ackId):
                actions.append(.cancelTimer(.ack(namespace: namespace, ackId: ackId)))
            case .event(let event):
                actions.append(.socket(namespace: namespace, event))
            }
        }
        self.write(&outgoing, reporting: &written, namespace: namespace, now: now, into: &actions)
    }

    /// Writes `outgoing`, then reports the events it carried (the reference's `onAnyOutgoing`
    /// listeners run when a packet is written) unless the write closed the engine, which hands
    /// them back to their socket for a later write.
    @discardableResult
    private mutating func write(
        _ outgoing: inout [OutgoingMessage], reporting written: inout [SocketEvent], namespace: String, now: Int64,
        into actions: inout [ManagerAction]
    ) -> Bool {
        let closed = self.write(&outgoing, now: now, into: &actions)
        if !closed {
            actions += written.map { .socket(namespace: namespace, $0) }
        }
        written.removeAll()
        return closed
    }

    /// Hands `outgoing` to the engine; returns whether that closed it.
    @discardableResult
    private mutating func write(_ outgoing: inout [OutgoingMessage], now: Int64, into actions: inout [ManagerAction]) -> Bool {
        guard !outgoing.isEmpty else { return false }
        let messages = outgoing
        outgoing.removeAll()
        let generation = self.engineGeneration
        guard var engine = self.engine else { return false }
        self.engine = nil
        let engineActions = engine.send(messages, now: now)
        self.engine = engine
        self.process(engineActions, generation: generation, now: now, into: &actions)
        return self.engine == nil || self.engineGeneration != generation
    }

    /// Our own packets back from the engine's write buffer.
    private static func packets(in messages: [OutgoingMessage]) -> [SocketPacket] {
        var decoder = SocketPacketDecoder(maxAttachments: .max)
        return messages.compactMap { try? decoder.decode($0.data) }
    }

    func index(of namespace: String) throws(EmitError) -> Int {
        guard let index = self.sockets.firstIndex(where: { $0.namespace == namespace }) else {
            throw .unknownNamespace(namespace)
        }
        return index
    }
}

extension DisconnectReason {
    init(_ reason: EngineCloseReason) {
        switch reason {
        case .forcedClose: self = .forcedClose
        case .transportClose: self = .transportClose
        case .transportError: self = .transportError
        case .pingTimeout: self = .pingTimeout
        }
    }
}

extension EngineAction {
    fileprivate func sendsOverWebSocket(_ id: TransportID) -> Bool {
        if case .sendWebSocket(id, _, _) = self { true } else { false }
    }
}
