import NIOConcurrencyHelpers
import SioJSON
import SioProtocol

/// A socket on one namespace of a ``Manager`` (socket.io-client `Socket`).
///
/// Its state (`id`, `connected`, `active`, `recovered`) is a snapshot the Manager's pump keeps
/// current; its events (`connect`, `connect_error`, `disconnect`, server events) arrive on
/// ``events`` in order.
public final class Socket: Sendable {
    /// The namespace.
    public let namespace: String
    /// The socket's events, in order: `connect`, `connect_error`, `disconnect`, server events
    /// (and `.sent` with ``ManagerOptions/reportsOutgoingEvents``). One consumer; it sees every
    /// event since the socket was made, and the stream ends when the Manager shuts down.
    /// Nothing is dropped: read it, or events accumulate in memory.
    public let events: AsyncStream<SocketEvent>
    let input: ManagerInbox
    let shared: NIOLockedValueBox<Shared>
    private let eventSink: AsyncStream<SocketEvent>.Continuation

    struct Shared: Sendable {
        var id: String?
        var connected = false
        var active = false
        var recovered = false
        var recovery: Recovery?
    }

    /// The Manager's registry of sockets, to leave it on ``close()``.
    private let managerState: NIOLockedValueBox<Manager.SharedState>

    init(namespace: String, input: ManagerInbox, managerState: NIOLockedValueBox<Manager.SharedState>) {
        self.namespace = namespace
        self.input = input
        self.managerState = managerState
        self.shared = NIOLockedValueBox(Shared())
        (self.events, self.eventSink) = AsyncStream.makeStream(of: SocketEvent.self)
    }

    /// The namespace's sid while connected.
    public var id: String? { self.shared.withLockedValue { $0.id } }
    /// `socket.connected`.
    public var connected: Bool { self.shared.withLockedValue { $0.connected } }
    /// `socket.active`: it (re)connects whenever the Manager's connection (re)opens.
    public var active: Bool { self.shared.withLockedValue { $0.active } }
    /// Whether connection state recovery restored the session at the last connect.
    public var recovered: Bool { self.shared.withLockedValue { $0.recovered } }

    /// The connection-state-recovery session (`pid` and the last `offset`) the server gave at
    /// the last CONNECT, to save and hand to ``Manager/socket(_:auth:options:recovery:)`` after
    /// a restart; `nil` when the server does not recover sessions.
    public var recovery: Recovery? { self.shared.withLockedValue { $0.recovery } }

    /// `socket.connect()`.
    /// Like the reference, `active` is true as soon as this returns (its `subs` are set
    /// synchronously); `connected` follows when the server answers.
    public func connect() {
        self.shared.withLockedValue { $0.active = true }
        self.input.yield(.connect(self.namespace))
    }

    /// `socket.disconnect()`.
    /// `active` is false as soon as this returns, as in the reference (`destroy()`).
    public func disconnect() {
        self.shared.withLockedValue { $0.active = false }
        self.input.yield(.disconnect(self.namespace))
    }

    /// Disconnects (`io client disconnect`) and removes the socket from its Manager: its
    /// waiting emits fail, ``events`` ends after the last event, and the namespace is free for
    /// a new ``Manager/socket(_:auth:options:recovery:)``. The Manager closes its connection
    /// when no socket is active.
    public func close() {
        self.managerState.withLockedValue { state in
            if state.sockets[self.namespace] === self { state.sockets[self.namespace] = nil }
        }
        self.input.yield(.removeSocket(self.namespace))
    }

    /// Replaces the auth payload of the next CONNECT (`socket.auth = …`).
    public func setAuth(_ auth: JSON?) {
        self.input.yield(.setAuth(self.namespace, auth.map { .value($0) } ?? .none))
    }

    /// Answers ``SocketEvent/authRequested`` (``SocketOptions/Auth/provider``): the payload of
    /// the CONNECT about to be sent, asked for before every connection attempt.
    public func provideAuth(_ auth: JSON?) {
        self.input.yield(.provideAuth(self.namespace, auth))
    }

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
            let input = ManagerInput.sendAck(self.namespace, ackId, EventArguments(arguments), continuation)
            if !self.input.yield(input) { ManagerDriver.refuse(input) }
        }
        try result.get()
    }

    private func submit(
        _ event: String, _ arguments: EventArguments, options: EmitOptions, wantsAck: Bool
    ) async throws(ClientError) -> (EmitStatus, Result<EventArguments, ClientError>?) {
        let request = EmitRequest(namespace: self.namespace, name: .string(event), arguments: arguments, options: options, wantsAck: wantsAck)
        let reply: EmitReply = await withCheckedContinuation { continuation in
            // After shutdown the pump is gone: answer at once instead of waiting forever.
            let input = ManagerInput.emit(request, continuation)
            if !self.input.yield(input) { ManagerDriver.refuse(input) }
        }
        switch reply {
        case .refused(let error):
            throw error
        case .done(let status, let ack):
            return (status, ack)
        }
    }

    /// Called by the pump with a state snapshot and the events for the user.
    func update(id: String?, connected: Bool, active: Bool, recovered: Bool, recovery: Recovery? = nil) {
        self.shared.withLockedValue {
            $0.id = id
            $0.connected = connected
            $0.active = active
            $0.recovered = recovered
            if let recovery { $0.recovery = recovery }
        }
    }

    func deliver(_ event: SocketEvent) {
        self.eventSink.yield(event)
    }

    func finish() {
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
