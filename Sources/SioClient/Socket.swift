import NIOConcurrencyHelpers
import SioJSON
import SioProtocol

/// A socket on one namespace of a ``Manager`` (socket.io-client `Socket`).
///
/// Its state (`id`, `connected`, `active`, `recovered`) is a snapshot the Manager's driver keeps
/// current; its events (`connect`, `connect_error`, `disconnect`, server events) arrive in
/// order, on ``events`` or at the handler it was made with.
public final class Socket: Sendable {
    /// The namespace.
    public let namespace: String
    let driver: ManagerDriver
    let shared: NIOLockedValueBox<Shared>
    private let eventSink: EventSink<SocketEvent>

    struct Shared: Sendable {
        var id: String?
        var connected = false
        var active = false
        var recovered = false
        var recovery: Recovery?
        /// `connect()`/`disconnect()` calls the driver has not handled yet: until it has, its
        /// snapshots must not undo the `active` they set.
        var pendingActivations = 0
    }

    /// The Manager's registry of sockets, to leave it on ``close()``.
    private let managerState: NIOLockedValueBox<Manager.SharedState>

    init(namespace: String, driver: ManagerDriver, managerState: NIOLockedValueBox<Manager.SharedState>, events: EventSink<SocketEvent>) {
        self.namespace = namespace
        self.driver = driver
        self.managerState = managerState
        self.shared = NIOLockedValueBox(Shared())
        self.eventSink = events
    }

    /// The socket's events, in order: `connect`, `connect_error`, `disconnect`, server events
    /// (and `.sent` with ``ManagerOptions/reportsOutgoingEvents``). One consumer; it sees every
    /// event since the socket was made, and the stream ends when the socket is closed or the
    /// Manager shuts down. Nothing is dropped: read it, or events accumulate in memory. Empty
    /// for a socket made with an event handler.
    public var events: AsyncStream<SocketEvent> { self.eventSink.stream }

    /// The namespace's sid while connected.
    public var id: String? { self.shared.withLockedValue { $0.id } }
    /// `socket.connected`.
    public var connected: Bool { self.shared.withLockedValue { $0.connected } }
    /// `socket.active`: it (re)connects whenever the Manager's connection (re)opens.
    public var active: Bool { self.shared.withLockedValue { $0.active } }
    /// Whether connection state recovery restored the session at the last connect.
    public var recovered: Bool { self.shared.withLockedValue { $0.recovered } }

    /// The connection-state-recovery session (`pid` and the last `offset`) the server gave at
    /// the last CONNECT, to save and hand to ``Manager/socket(_:auth:options:recovery:eventHandler:)``
    /// after a restart; `nil` when the server does not recover sessions.
    public var recovery: Recovery? { self.shared.withLockedValue { $0.recovery } }

    /// `socket.connect()`.
    /// Like the reference, `active` is true as soon as this returns (its `subs` are set
    /// synchronously); `connected` follows when the server answers.
    public func connect() {
        self.shared.withLockedValue {
            $0.active = true
            $0.pendingActivations += 1
        }
        let namespace = self.namespace
        self.driver.submit(.connect(namespace))
    }

    /// `socket.disconnect()`.
    /// `active` is false as soon as this returns, as in the reference (`destroy()`).
    public func disconnect() {
        self.shared.withLockedValue {
            $0.active = false
            $0.pendingActivations += 1
        }
        let namespace = self.namespace
        self.driver.submit(.disconnect(namespace))
    }

    /// Disconnects (`io client disconnect`) and removes the socket from its Manager: its
    /// waiting emits fail, ``events`` ends after the last event, and the namespace is free for
    /// a new ``Manager/socket(_:auth:options:recovery:eventHandler:)``. The Manager closes its
    /// connection when no socket is active.
    public func close() {
        self.managerState.withLockedValue { state in
            if state.sockets[self.namespace] === self { state.sockets[self.namespace] = nil }
        }
        let namespace = self.namespace
        self.driver.submit(.removeSocket(namespace))
    }

    /// Replaces the auth payload of the next CONNECT (`socket.auth = …`).
    public func setAuth(_ auth: JSON?) {
        let namespace = self.namespace
        self.driver.submit(.setAuth(namespace, auth.map { .value($0) } ?? .none))
    }

    /// Answers ``SocketEvent/authRequested`` (``SocketOptions/Auth/provider``): the payload of
    /// the CONNECT about to be sent, asked for before every connection attempt.
    public func provideAuth(_ auth: JSON?) {
        let namespace = self.namespace
        self.driver.submit(.provideAuth(namespace, auth))
    }

    // MARK: - Emitting

    /// `socket.emit(event, ...args)`: returns whether it was sent, buffered or dropped.
    @discardableResult
    public func emit(_ event: String, _ arguments: [JSON] = [], volatile: Bool = false, compress: Bool = true) async throws(ClientError) -> EmitStatus {
        let options = EmitOptions(volatile: volatile, compress: compress)
        return try await self.submit(event, EventArguments(arguments), options: options, wantsAck: false).0
    }

    /// `socket.timeout(ms).emitWithAck(event, ...args)`: every argument of the server's ack.
    /// Throws ``ClientError/ack(_:)`` on timeout, or when the socket disconnects after sending.
    public func emitWithAck(_ event: String, _ arguments: [JSON] = [], timeout: Duration? = nil, compress: Bool = true) async throws(ClientError) -> [JSON] {
        let result = try await self.emitWithAck(event, EventArguments(arguments), timeout: timeout, compress: compress)
        do {
            return try result.values()
        } catch {
            throw .invalidArguments(error.description)
        }
    }

    /// ``emitWithAck(_:_:timeout:compress:)`` with arguments in wire form, answered in wire form.
    public func emitWithAck(_ event: String, _ arguments: EventArguments, timeout: Duration? = nil, compress: Bool = true) async throws(ClientError) -> EventArguments {
        let options = EmitOptions(timeout: timeout.map(ManagerOptions.milliseconds), compress: compress)
        let (_, ack) = try await self.submit(event, arguments, options: options, wantsAck: true)
        guard let ack else { throw .ack(.closed) }
        return try ack.get()
    }

    /// Answers a server event that asked for an ack.
    public func ack(_ ackId: UInt64, _ arguments: [JSON] = []) async throws(ClientError) {
        let result: Result<Void, ClientError> = await withCheckedContinuation { continuation in
            self.ack(ackId, EventArguments(arguments)) { continuation.resume(returning: $0) }
        }
        try result.get()
    }

    /// `socket.emit` without waiting: `completion` gets the status (sent, buffered or dropped)
    /// or the refusal, on the Manager's event loop. Emits made from one thread reach the
    /// transport in the order they were made.
    public func emit(
        _ event: String, _ arguments: EventArguments, volatile: Bool = false, compress: Bool = true,
        completion: @escaping @Sendable (Result<EmitStatus, ClientError>) -> Void
    ) {
        let request = EmitRequest(
            namespace: self.namespace, name: .string(event), arguments: arguments,
            options: EmitOptions(volatile: volatile, compress: compress), wantsAck: false
        )
        self.driver.submitEmit(.emit(request) { reply in
            switch reply {
            case .refused(let error): completion(.failure(error))
            case .done(let status, _): completion(.success(status))
            }
        })
    }

    /// `socket.timeout(ms).emitWithAck` without waiting: `completion` gets the server's ack
    /// arguments, or why they will not come, on the Manager's event loop.
    /// `requireConnected`: refused with ``EmitError/notConnected`` rather than buffered (see
    /// ``EmitOptions/requireConnected``).
    public func emitWithAck(
        _ event: String, _ arguments: EventArguments, timeout: Duration? = nil, compress: Bool = true, requireConnected: Bool = false,
        completion: @escaping @Sendable (Result<EventArguments, ClientError>) -> Void
    ) {
        let options = EmitOptions(timeout: timeout.map(ManagerOptions.milliseconds), compress: compress, requireConnected: requireConnected)
        let request = EmitRequest(namespace: self.namespace, name: .string(event), arguments: arguments, options: options, wantsAck: true)
        self.driver.submitEmit(.emit(request) { reply in
            switch reply {
            case .refused(let error): completion(.failure(error))
            case .done(_, let ack): completion(ack ?? .failure(.ack(.closed)))
            }
        })
    }

    /// Answers a server event that asked for an ack, without waiting: `completion` is called on
    /// the Manager's event loop.
    public func ack(_ ackId: UInt64, _ arguments: EventArguments, completion: @escaping @Sendable (Result<Void, ClientError>) -> Void) {
        self.driver.submitEmit(.sendAck(self.namespace, ackId, arguments, completion))
    }

    private func submit(
        _ event: String, _ arguments: EventArguments, options: EmitOptions, wantsAck: Bool
    ) async throws(ClientError) -> (EmitStatus, Result<EventArguments, ClientError>?) {
        let request = EmitRequest(namespace: self.namespace, name: .string(event), arguments: arguments, options: options, wantsAck: wantsAck)
        let reply: EmitReply = await withCheckedContinuation { continuation in
            self.driver.submit(.emit(request) { continuation.resume(returning: $0) })
        }
        switch reply {
        case .refused(let error):
            throw error
        case .done(let status, let ack):
            return (status, ack)
        }
    }

    // MARK: - Driver side

    /// Called by the driver with a state snapshot.
    func update(id: String?, connected: Bool, active: Bool, recovered: Bool, recovery: Recovery? = nil) {
        self.shared.withLockedValue {
            $0.id = id
            $0.connected = connected
            if $0.pendingActivations == 0 { $0.active = active }
            $0.recovered = recovered
            if let recovery { $0.recovery = recovery }
        }
    }

    /// The driver handled a `connect()` or `disconnect()` call.
    func activationHandled() {
        self.shared.withLockedValue { $0.pendingActivations -= 1 }
    }

    func deliver(_ event: SocketEvent) {
        self.eventSink.yield(event)
    }

    func finish() {
        self.shared.withLockedValue { $0.pendingActivations = 0 }
        self.update(id: nil, connected: false, active: false, recovered: false)
        self.eventSink.finish()
    }
}

/// A connection-state-recovery session: the `pid` of the server's CONNECT reply and the offset
/// of the last event received (socket.io-client `_pid`, `_lastOffset`).
public struct Recovery: Sendable, Hashable {
    /// The server's private session id.
    public var pid: String
    /// The offset of the last event received.
    public var offset: String?

    public init(pid: String, offset: String?) {
        self.pid = pid
        self.offset = offset
    }
}
