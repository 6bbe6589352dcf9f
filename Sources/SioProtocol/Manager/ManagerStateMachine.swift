import SioJSON

/// A Manager: one Engine.IO connection at a time, the namespaces multiplexed on it, and the
/// reconnection loop (socket.io-client lib/manager.ts; docs/behaviour.md § Manager lifecycle).
///
/// Pure: the driver feeds transport results, timer firings and user calls with the current
/// monotonic time, and carries out the returned ``ManagerAction``s in order.
///
/// Decisions on the reference's quirks (numbered as in `docs/quirks.md`, where every item is):
/// - item 1, fixed: `connect` while waiting to reconnect cancels the backoff timer and makes the
///   attempt now; state is one enum, so no `_reconnecting` flag can be left behind.
/// - item 2, fixed: `open` while opening or open changes nothing; the caller reads ``state``
///   and waits for ``ManagerEvent/open``/``ManagerEvent/error(_:)`` — an answer always comes.
/// - item 12, fixed: see ``Backoff`` and ``ManagerConfiguration``.
/// - item 13, kept: after `reconnect_failed` the sockets stay active; `connect` restarts.
/// - item 14, kept: a Socket.IO parse error closes the connection (`parse error`) and reconnects;
///   `maxAttachments` is configurable.
/// - item 21, changed: one socket per namespace — ``addSocket(_:options:recovery:)`` refuses a
///   second with ``ManagerError/namespaceInUse(_:)`` instead of returning the old one with its
///   old auth; ``setAuth(_:_:)`` changes the auth. Caching Managers per URL (`io()`) is the
///   client layer's business.
/// - item 25, N/A: the machine never calls user code; events are actions returned after the
///   state is updated, so a throwing listener cannot corrupt it. The driver dispatches them.
/// - item 28, N/A: there is no listener registry; the Manager drives its sockets by direct
///   calls, which no bulk `off()` can remove.
/// - item 29, made visible: packets the engine never transmitted return to their socket's send
///   buffer when it closes, and go out after the reconnection. Packets of a polling POST whose
///   answer never came (`inFlight`) may have arrived, so they are not resent; their acks fail
///   with ``AckError/disconnected``.
/// - item 32: leaving sends DISCONNECT for the namespace (``disconnect(_:now:)``,
///   ``removeSocket(_:now:)``), and the engine closes after the last active socket leaves.
public struct ManagerStateMachine: Sendable {
    /// Where the Manager stands (`_readyState` plus the reconnection loop).
    public enum State: Sendable, Hashable {
        /// No engine. → ``opening(reconnect:)`` on `open`/`connect`.
        case closed
        /// An engine is handshaking; `reconnect` when it is a reconnection attempt.
        /// → ``open``, ``closed`` (failed, no retry), ``waitingToReconnect``.
        case opening(reconnect: Bool)
        /// The engine is open. → ``closed`` then maybe ``waitingToReconnect`` when it closes.
        case open
        /// Waiting for the backoff timer. → ``opening(reconnect:)`` when it fires or on `connect`.
        case waitingToReconnect
    }

    /// The options.
    public private(set) var configuration: ManagerConfiguration
    /// The state.
    public internal(set) var state: State = .closed

    var engine: EngineStateMachine?
    /// Engines closed gracefully over polling (``close(now:)``, the last socket leaving) that
    /// still drain their buffer and `1`, by generation; dropped when their `.close` arrives.
    var closingEngines: [UInt64: EngineStateMachine] = [:]
    var engineGeneration: UInt64 = 0
    var reconnectGeneration: UInt64 = 0
    var backoff: Backoff
    var random: any RandomNumberGenerator & Sendable
    var decoder: SocketPacketDecoder
    var sockets: [NamespaceStateMachine] = []
    /// `priorWebsocketSuccess`: kept per Manager (the reference keeps it per process).
    var priorWebSocketSuccess = false
    /// Namespaces removed while their CONNECT reply was pending: each is owed a DISCONNECT when
    /// that reply arrives (docs/quirks.md #4). Cleared when the engine closes.
    var owedDisconnects: Set<String> = []
    /// The namespace CONNECT timeouts and retries scheduled on the current engine, cancelled
    /// when it closes.
    var namespaceTimers: Set<ManagerTimer> = []
    /// The next ack id of each removed namespace, so a re-added socket never reuses an id whose
    /// ack timer (``ManagerTimer/ack(namespace:ackId:)``) may still fire for the old one.
    var nextAckIds: [String: UInt64] = [:]

    /// A Manager with `configuration`; `random` supplies the backoff jitter.
    public init(configuration: ManagerConfiguration = ManagerConfiguration(), random: some RandomNumberGenerator & Sendable) {
        self.configuration = configuration
        self.backoff = Backoff(
            min: configuration.reconnectionDelay,
            max: configuration.reconnectionDelayMax,
            jitter: configuration.randomizationFactor
        )
        self.random = random
        self.decoder = SocketPacketDecoder(maxAttachments: configuration.maxAttachments)
    }

    // MARK: - Queries

    /// The socket on `namespace`.
    public func socket(_ namespace: String) -> NamespaceStateMachine? {
        self.sockets.first { $0.namespace == namespace }
    }

    /// What a user may read synchronously of the socket on `namespace`, without copying its
    /// machine (a driver asks after every input).
    public func observed(_ namespace: String) -> NamespaceStateMachine.Observed? {
        for index in self.sockets.indices where self.sockets[index].namespace == namespace {
            return self.sockets[index].observed
        }
        return nil
    }

    /// The transport and session id while the engine is open, else nil for both.
    public var openEngine: (transport: TransportKind?, sid: String?) {
        guard self.state == .open, let engine = self.engine else { return (nil, nil) }
        return (engine.transport, engine.sid)
    }

    /// The namespaces, in the order they were added.
    public var namespaces: [String] { self.sockets.map(\.namespace) }

    /// The engine's session id while one is open.
    public var engineId: String? { self.engine?.sid }

    /// The transport in use.
    public var transport: TransportKind? { self.engine?.transport }

    /// `pingInterval + pingTimeout` of the open engine: how long the server may stay silent.
    public var heartbeatInterval: Int64? {
        self.engine?.handshake.map { Int64($0.pingInterval) + Int64($0.pingTimeout) }
    }

    /// Reconnection attempts since the last success.
    public var reconnectionAttempts: Int { self.backoff.attempts }

    // MARK: - Sockets

    /// Adds the socket for `namespace` (`manager.socket(nsp, opts)`). The namespace must start with
    /// `/` and contain no `,` (docs/quirks.md #27, fixed: the reference sends `0admin,` and breaks
    /// the server's parse; a `,` would end the namespace early on the wire). Ack ids continue where
    /// an earlier socket of the namespace stopped.
    /// docs/quirks.md #21, changed: a namespace that has a socket is refused (the reference
    /// returns the existing socket and silently ignores the new options); change its auth with
    /// ``setAuth(_:_:)``.
    public mutating func addSocket(
        _ namespace: String, options: SocketOptions = SocketOptions(), recovery: (pid: String, offset: String?)? = nil
    ) throws(ManagerError) {
        guard NamespaceName.isValid(namespace) else { throw .invalidNamespace(namespace) }
        guard self.socket(namespace) == nil else { throw .namespaceInUse(namespace) }
        var socket = NamespaceStateMachine(namespace: namespace, options: options, recovery: recovery)
        socket.nextAckId = self.nextAckIds[namespace] ?? 0
        self.sockets.append(socket)
    }

    /// Disconnects and removes the socket on `namespace`; its waiting emits fail with
    /// ``AckError/closed``. While its CONNECT reply is pending, the DISCONNECT goes out when
    /// the reply arrives (docs/quirks.md #4).
    public mutating func removeSocket(_ namespace: String, now: Int64) -> [ManagerAction] {
        guard let index = self.sockets.firstIndex(where: { $0.namespace == namespace }) else { return [] }
        var actions: [ManagerAction] = []
        if case .connecting = self.sockets[index].state {
            self.owedDisconnects.insert(namespace)
        }
        let socketActions = self.sockets[index].close()
        self.apply(socketActions, namespace: namespace, now: now, into: &actions)
        if let index = self.sockets.firstIndex(where: { $0.namespace == namespace }) {
            self.nextAckIds[namespace] = self.sockets[index].nextAckId
        }
        self.sockets.removeAll { $0.namespace == namespace }
        self.closeIfNoSocketIsActive(now: now, into: &actions)
        return actions
    }

    // MARK: - User calls

    /// `manager.open()`: starts a connection unless one is opening or open.
    ///
    /// docs/quirks.md #2, fixed: there is no callback to lose. While opening or open this returns
    /// nothing, and ``ManagerEvent/open`` or ``ManagerEvent/error(_:)`` (or ``state``) answers.
    /// docs/quirks.md #1, fixed: while waiting to reconnect it cancels the backoff timer and
    /// attempts now.
    public mutating func open(now: Int64) -> [ManagerAction] {
        var actions: [ManagerAction] = []
        switch self.state {
        case .opening, .open:
            return []
        case .closed:
            self.startEngine(reconnect: false, now: now, into: &actions)
        case .waitingToReconnect:
            self.attemptReconnectNow(now: now, into: &actions)
        }
        return actions
    }

    /// Turns ``ManagerConfiguration/reportsOutgoing`` on or off from now on.
    public mutating func setReportsOutgoing(_ on: Bool) {
        self.configuration.reportsOutgoing = on
    }

    /// `socket.connect()` for `namespace`.
    public mutating func connect(_ namespace: String, now: Int64) throws(EmitError) -> [ManagerAction] {
        let index = try self.index(of: namespace)
        var actions: [ManagerAction] = []
        let socketActions = self.sockets[index].connect(managerOpen: self.state == .open)
        self.apply(socketActions, namespace: namespace, now: now, into: &actions)
        actions += self.open(now: now)
        return actions
    }

    /// `socket.disconnect()` for `namespace`; the engine closes when no socket is active.
    /// docs/quirks.md #32: the namespace's DISCONNECT is handed to the engine before it closes
    /// (while the CONNECT reply is pending it waits for the reply, item 4).
    public mutating func disconnect(_ namespace: String, now: Int64) throws(EmitError) -> [ManagerAction] {
        let index = try self.index(of: namespace)
        var actions: [ManagerAction] = []
        let socketActions = self.sockets[index].disconnect()
        self.apply(socketActions, namespace: namespace, now: now, into: &actions)
        self.closeIfNoSocketIsActive(now: now, into: &actions)
        return actions
    }

    /// `manager.close()`: closes the engine, no reconnection. Sockets stay active and reconnect
    /// on the next ``open(now:)``. Over polling the engine first drains its buffer and `1`
    /// (its transport actions keep coming until its POST completes); what it never sends goes
    /// back to the sockets' send buffers.
    public mutating func close(now: Int64) -> [ManagerAction] {
        var actions: [ManagerAction] = []
        self.forceClose(now: now, into: &actions)
        return actions
    }

    /// Closes the engine alone, as the reference's `socket.io.engine.close()`: sockets hear
    /// `forced close` and the Manager reconnects (with connection state recovery, the session
    /// is restored). The engine is aborted at once (``EngineStateMachine/abort(now:)``): what
    /// it never sent goes back to the sockets' send buffers and is sent after reconnecting.
    public mutating func dropConnection(now: Int64) -> [ManagerAction] {
        guard self.state == .open else { return [] }
        var actions: [ManagerAction] = []
        self.closeEngine(reason: .forcedClose, description: nil, now: now, into: &actions)
        return actions
    }

    /// `socket.emit(name, ...arguments)` on `namespace`.
    ///
    /// docs/quirks.md #16, kept (engine.io-client 6.6.1): past the heartbeat deadline the emit is
    /// buffered and the connection closes with `ping timeout`.
    public mutating func emit(
        _ namespace: String, _ name: EventName, _ arguments: EventArguments, options: EmitOptions = EmitOptions(), now: Int64
    ) throws(EmitError) -> (EmitStatus, [ManagerAction]) {
        let index = try self.index(of: namespace)
        let expired = self.engine?.hasPingExpired(now: now) ?? false
        let writable = self.state == .open && (self.engine?.isWritable ?? false)
        let (status, socketActions) = try self.sockets[index].emit(
            name, arguments, options: options, writable: writable, pingExpired: expired
        )
        var actions: [ManagerAction] = []
        self.apply(socketActions, namespace: namespace, now: now, into: &actions)
        if expired && self.state == .open {
            // engine.io-client `_hasPingExpired`: the deadline passed while no timer fired (a
            // suspended process); the emit stays buffered and the connection is declared dead.
            self.closeEngine(reason: .pingTimeout, description: nil, now: now, into: &actions)
        }
        return (status, actions)
    }

    /// Answers the server event that carried `ackId`.
    public mutating func sendAck(_ namespace: String, ackId: UInt64, _ arguments: EventArguments, now: Int64) throws(EmitError) -> [ManagerAction] {
        let index = try self.index(of: namespace)
        let socketActions = try self.sockets[index].sendAck(id: ackId, arguments)
        var actions: [ManagerAction] = []
        self.apply(socketActions, namespace: namespace, now: now, into: &actions)
        return actions
    }

    /// Changes the auth payload of `namespace`'s next CONNECT.
    public mutating func setAuth(_ namespace: String, _ auth: SocketOptions.Auth) throws(EmitError) {
        let index = try self.index(of: namespace)
        self.sockets[index].setAuth(auth)
    }

    /// Answers ``SocketEvent/authRequested``.
    public mutating func provideAuth(_ namespace: String, _ auth: JSON?, now: Int64) throws(EmitError) -> [ManagerAction] {
        let index = try self.index(of: namespace)
        var actions: [ManagerAction] = []
        self.apply(self.sockets[index].provideAuth(auth), namespace: namespace, now: now, into: &actions)
        return actions
    }

    // MARK: - Transport results

    /// A polling GET answered 200 with `body`.
    public mutating func pollCompleted(_ id: ConnectionID, body: String, now: Int64) -> [ManagerAction] {
        self.withEngine(id, now: now) { $0.pollCompleted(id.transport, body: body, now: now) }
    }

    /// A polling GET failed.
    public mutating func pollFailed(_ id: ConnectionID, _ error: TransportError, now: Int64) -> [ManagerAction] {
        self.withEngine(id, now: now) { $0.pollFailed(id.transport, error, now: now) }
    }

    /// A polling POST answered 200.
    public mutating func postCompleted(_ id: ConnectionID, now: Int64) -> [ManagerAction] {
        var actions = self.withEngine(id, now: now) { $0.postCompleted(id.transport, now: now) }
        // engine.io-client `onDrain`: the POST's packets have left and none waits for another.
        if id.engine == self.engineGeneration, self.engine?.isDrained == true { actions.append(.manager(.drain)) }
        return actions
    }

    /// A polling POST failed.
    public mutating func postFailed(_ id: ConnectionID, _ error: TransportError, now: Int64) -> [ManagerAction] {
        self.withEngine(id, now: now) { $0.postFailed(id.transport, error, now: now) }
    }

    /// A WebSocket opened.
    public mutating func webSocketOpened(_ id: ConnectionID, now: Int64) -> [ManagerAction] {
        self.withEngine(id, now: now) { $0.webSocketOpened(id.transport, now: now) }
    }

    /// A WebSocket message arrived.
    public mutating func webSocketReceived(_ id: ConnectionID, _ message: WebSocketMessage, now: Int64) -> [ManagerAction] {
        self.withEngine(id, now: now) { $0.webSocketReceived(id.transport, message, now: now) }
    }

    /// A WebSocket closed.
    public mutating func webSocketClosed(_ id: ConnectionID, description: String?, now: Int64) -> [ManagerAction] {
        self.withEngine(id, now: now) { $0.webSocketClosed(id.transport, description: description, now: now) }
    }

    /// A WebSocket failed.
    public mutating func webSocketFailed(_ id: ConnectionID, _ error: TransportError, now: Int64) -> [ManagerAction] {
        self.withEngine(id, now: now) { $0.webSocketFailed(id.transport, error, now: now) }
    }

    /// A timer fired.
    public mutating func timerFired(_ timer: ManagerTimer, now: Int64) -> [ManagerAction] {
        var actions: [ManagerAction] = []
        switch timer {
        case .engine(let generation, let engineTimer):
            return self.withEngine(generation, now: now) { $0.timerFired(engineTimer, now: now) }
        case .connectTimeout(let generation):
            guard generation == self.engineGeneration, case .opening(let reconnect) = self.state else { return [] }
            self.abortEngine(now: now, into: &actions)
            self.openFailed(TransportError(message: "timeout"), reconnect: reconnect, now: now, into: &actions)
        case .reconnect(let generation):
            guard generation == self.reconnectGeneration, self.state == .waitingToReconnect else { return [] }
            self.attemptReconnectNow(now: now, into: &actions)
        case .ack(let namespace, let ackId):
            guard let index = self.sockets.firstIndex(where: { $0.namespace == namespace }) else { return [] }
            self.apply(self.sockets[index].ackTimerFired(ackId: ackId), namespace: namespace, now: now, into: &actions)
        case .namespaceConnect(let namespace, let generation):
            self.namespaceTimers.remove(timer)
            guard generation == self.engineGeneration, self.state == .open,
                  let index = self.sockets.firstIndex(where: { $0.namespace == namespace })
            else { return [] }
            let wasConnecting = self.sockets[index].state == .connecting
            self.apply(self.sockets[index].connectTimedOut(), namespace: namespace, now: now, into: &actions)
            if wasConnecting, self.configuration.reconnection {
                let retry = ManagerTimer.namespaceRetry(namespace: namespace, generation: generation)
                self.namespaceTimers.insert(retry)
                actions.append(.scheduleTimer(retry, afterMilliseconds: self.configuration.reconnectionDelay))
            }
        case .namespaceRetry(let namespace, let generation):
            self.namespaceTimers.remove(timer)
            guard generation == self.engineGeneration, self.state == .open,
                  let index = self.sockets.firstIndex(where: { $0.namespace == namespace })
            else { return [] }
            self.apply(self.sockets[index].managerOpened(), namespace: namespace, now: now, into: &actions)
        }
        return actions
    }
}

/// Why a Manager refused a socket.
public enum ManagerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The namespace does not start with `/`, or contains `,`.
    case invalidNamespace(String)
    /// A socket for the namespace exists on this Manager.
    case namespaceInUse(String)

    public var description: String {
        switch self {
        case .invalidNamespace(let namespace): "namespace \"\(namespace)\" must start with \"/\" and contain no \",\""
        case .namespaceInUse(let namespace): "namespace \(namespace) already has a socket on this manager"
        }
    }
}
