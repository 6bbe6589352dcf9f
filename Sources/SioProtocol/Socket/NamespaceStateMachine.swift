import SioJSON

/// One Socket: a namespace multiplexed on a Manager's engine (socket.io-client lib/socket.ts;
/// socket.io-protocol § Exchange protocol).
///
/// The Manager feeds it the engine's life (``managerOpened()``, ``managerClosed(_:description:)``,
/// ``managerFailed(_:)``), the packets for its namespace, user calls and ack timers; it returns
/// what to send and what to tell the user.
///
/// Decisions on the reference's quirks (numbered as in docs/quirks.md):
/// - item 3, fixed: a CONNECT is sent once per engine session; `connect()` while one is pending
///   is a no-op (state ``State/connecting``).
/// - item 4, fixed: `disconnect()` while the CONNECT reply is pending sends DISCONNECT as soon as
///   the reply arrives (sending it earlier would make the server close the whole connection).
/// - item 5, kept: every active socket gets `disconnect` when the engine closes, connected or not.
/// - item 6, N/A: there are no listeners here; each event is returned once, by the transition
///   that caused it. Registering handlers once is the client layer's concern.
/// - item 7: the send buffer and the retry queue together are bounded
///   (``SocketOptions/sendBufferLimit``); an emit past it is refused with an error, never
///   dropped silently. It survives `disconnect()`, as in the
///   reference (emits made after a manual disconnect go out on the next connect).
/// - item 9, fixed: every pending ack is answered: with the server's arguments, or with
///   ``AckError/timedOut`` / ``AckError/disconnected``. Acks of packets still in the send buffer
///   survive a disconnect (4.7.5 rule).
/// - item 10, kept: an ack timer starts at emit time, also for a buffered packet; a buffered
///   packet whose ack times out leaves the send buffer and is never sent.
/// - item 11, kept: ack ids count from 0 per socket and are never reset; each retry takes a new
///   id, so a late ack for an earlier try finds nothing and is ignored.
/// - item 17, fixed: a volatile emit is dropped whenever it cannot be written now (not
///   connected, or the transport busy), and a dropped emit registers no ack.
/// - items 18/19, fixed: flags are per emit; the retry queue treats any ack as success and
///   never reads the server's first argument as an error.
/// - item 20, kept: the recovery offset is the last string argument of the last event without
///   an ack id, and it stays in the arguments delivered.
/// - item 21: ``setAuth(_:)`` changes the auth payload of the next CONNECT.
/// - item 22, kept: events received before the CONNECT reply wait in a bounded receive buffer
///   and are delivered before `connect`.
/// - item 24, kept: nothing but CONNECT leaves for the namespace before its reply (emits are
///   buffered, ``sendAck(id:_:)`` needs a connection) and no second CONNECT is sent (item 3).
/// - item 29: packets the engine never transmitted come back through
///   ``managerClosed(_:description:unsent:)``.
public struct NamespaceStateMachine: Sendable {
    /// Where the socket stands.
    public enum State: Sendable, Hashable {
        /// Not subscribed to the Manager: never connected, or after `disconnect()`, a server
        /// DISCONNECT or a CONNECT_ERROR. → ``awaitingManager`` / ``connecting`` on `connect()`.
        case inactive
        /// Active; CONNECT goes out when the Manager's engine opens. → ``connecting``,
        /// ``awaitingAuth``, ``inactive``.
        case awaitingManager
        /// Active; asked the user for the auth payload (``SocketOptions/Auth/provider``).
        /// → ``connecting`` on `provideAuth`, ``awaitingManager`` when the engine closes.
        case awaitingAuth
        /// CONNECT sent, reply pending. → ``connected``, ``inactive`` (CONNECT_ERROR),
        /// ``awaitingManager`` (engine closed).
        case connecting
        /// `disconnect()` came while the CONNECT reply was pending: inactive for its user, and
        /// a DISCONNECT goes out when the reply comes (docs/quirks.md #4). → ``inactive`` on the
        /// reply, a CONNECT_ERROR or the engine closing; ``connecting`` on `connect()` (the
        /// DISCONNECT is forgotten and the reply awaited again, no second CONNECT).
        case leaving
        /// Connected with the namespace's `sid`. → ``awaitingManager`` (engine closed),
        /// ``inactive`` (DISCONNECT either way).
        case connected(sid: String)
    }

    /// An internal send, or something for the user.
    public enum Action: Sendable, Hashable {
        /// Hand this packet to the engine now.
        case send(SocketPacket, compress: Bool)
        /// Start the ack timer of `ackId`.
        case scheduleAckTimer(ackId: UInt64, afterMilliseconds: Int64)
        /// Stop the ack timer of `ackId`.
        case cancelAckTimer(ackId: UInt64)
        /// Tell the user.
        case event(SocketEvent)
    }

    /// The namespace, starting with `/`.
    public let namespace: String
    /// The options.
    public private(set) var options: SocketOptions
    /// The state.
    public private(set) var state: State = .inactive
    /// Whether the last CONNECT restored the previous session (connection state recovery).
    public private(set) var recovered = false
    /// The recovery session id (`pid`) of the last CONNECT reply, kept across reconnects.
    public private(set) var pid: String?
    /// The offset of the last event received, sent back with `pid` (docs/behaviour.md
    /// § Connection state recovery).
    public private(set) var offset: String?

    /// The next ack id; the Manager seeds it when a namespace is re-added.
    var nextAckId: UInt64 = 0
    private var pendingAcks: [UInt64: PendingAck] = [:]
    private var sendBuffer: [BufferedPacket] = []
    private var receiveBuffer: [IncomingEvent] = []
    private var retryQueue: [QueuedEmit] = []
    private var nextQueueSeq: UInt64 = 0

    private struct PendingAck: Sendable, Hashable {
        enum Owner: Sendable, Hashable {
            case user(EmitToken)
            case retryQueue(seq: UInt64)
        }
        var owner: Owner
        var hasTimer: Bool
    }

    private struct BufferedPacket: Sendable, Hashable {
        var packet: SocketPacket
        var compress: Bool
    }

    private struct QueuedEmit: Sendable, Hashable {
        var seq: UInt64
        var name: EventName
        var arguments: EventArguments
        var token: EmitToken?
        var timeout: Int64?
        var compress: Bool
        var tryCount = 0
        var pending = false
    }

    /// A socket for `namespace`; `recovery` seeds `pid`/`offset` saved by an earlier run.
    public init(namespace: String, options: SocketOptions = SocketOptions(), recovery: (pid: String, offset: String?)? = nil) {
        self.namespace = namespace
        self.options = options
        self.pid = recovery?.pid
        self.offset = recovery?.offset
    }

    // MARK: - Queries

    /// `socket.active`: subscribed to the Manager, so it (re)connects when the engine (re)opens.
    public var isActive: Bool {
        switch self.state {
        case .inactive, .leaving: false
        case .awaitingManager, .awaitingAuth, .connecting, .connected: true
        }
    }

    /// `socket.connected`.
    public var isConnected: Bool {
        if case .connected = self.state { return true }
        return false
    }

    /// `socket.id`: the namespace sid while connected, else nil.
    public var id: String? {
        if case .connected(let sid) = self.state { return sid }
        return nil
    }

    /// The state a socket's user reads synchronously (`id`, `connected`, `active`,
    /// `recovered`, the recovery session).
    public struct Observed: Sendable, Hashable {
        public var id: String?
        public var connected: Bool
        public var active: Bool
        public var recovered: Bool
        public var pid: String?
        public var offset: String?
    }

    /// ``Observed`` now.
    public var observed: Observed {
        Observed(id: self.id, connected: self.isConnected, active: self.isActive, recovered: self.recovered, pid: self.pid, offset: self.offset)
    }

    /// Packets waiting for a connection.
    public var bufferedCount: Int { self.sendBuffer.count }
    /// Emits waiting for an ack.
    public var pendingAckCount: Int { self.pendingAcks.count }
    /// Emits in the retry queue.
    public var queuedCount: Int { self.retryQueue.count }

    /// ``SocketOptions/sendBufferLimit``, a negative value read as 0 (every buffered emit refused).
    private var sendBufferLimit: Int { Swift.max(0, self.options.sendBufferLimit) }

    /// Changes the auth payload used by the next CONNECT (`socket.auth = …`; docs/quirks.md #21).
    public mutating func setAuth(_ auth: SocketOptions.Auth) {
        self.options.auth = auth
    }

    // MARK: - User calls

    /// `socket.connect()`. `managerOpen` says whether the engine is open now; when it is not,
    /// the Manager opens it and calls ``managerOpened()``.
    /// docs/quirks.md #3, fixed: a no-op while a CONNECT is pending (``State/connecting``) or about
    /// to be sent (``State/awaitingAuth``); the reference guards on `connected` only. Also after
    /// `disconnect()` while the first CONNECT is still pending: the DISCONNECT owed for it is
    /// forgotten and the socket waits for that reply again (no second CONNECT, items 3/24).
    public mutating func connect(managerOpen: Bool) -> [Action] {
        switch self.state {
        case .connected, .connecting, .awaitingAuth:
            return []
        case .leaving:
            self.state = .connecting
            return []
        case .inactive, .awaitingManager:
            self.state = .awaitingManager
            return managerOpen ? self.beginConnect() : []
        }
    }

    /// `socket.disconnect()`.
    /// docs/quirks.md #4, fixed: while the CONNECT reply is pending nothing is sent now (the server
    /// would close the whole connection); the DISCONNECT follows the reply (`receivedConnect`).
    public mutating func disconnect() -> [Action] {
        switch self.state {
        case .inactive, .leaving:
            return []
        case .awaitingManager, .awaitingAuth:
            self.state = .inactive
            return []
        case .connecting:
            self.state = .leaving
            return []
        case .connected:
            self.state = .inactive
            var actions: [Action] = [.send(.disconnect(namespace: self.namespace), compress: true)]
            actions.append(.event(.disconnect(.ioClientDisconnect, description: nil)))
            self.clearAcks(into: &actions)
            return actions
        }
    }

    /// Answers ``SocketEvent/authRequested``.
    public mutating func provideAuth(_ auth: JSON?) -> [Action] {
        guard case .awaitingAuth = self.state else { return [] }
        return self.sendConnect(auth: auth)
    }

    /// `socket.emit(name, ...arguments)`. `writable` says whether the engine can write now (for
    /// volatile emits); `pingExpired` whether the heartbeat deadline has passed (the emit is then
    /// buffered, docs/behaviour.md § Heartbeat). Throws without changing anything when refused.
    ///
    /// docs/quirks.md #17, fixed: a volatile emit that cannot be written now is dropped, ack too.
    /// docs/quirks.md #18, fixed: `options` belong to this emit; nothing carries over to the next.
    /// docs/quirks.md #7: past ``SocketOptions/sendBufferLimit`` (send buffer plus retry queue) the
    /// emit is refused, not dropped.
    public mutating func emit(
        _ name: EventName, _ arguments: EventArguments, options: EmitOptions, writable: Bool, pingExpired: Bool
    ) throws(EmitError) -> (EmitStatus, [Action]) {
        if name.isReserved { throw .reservedEventName(name.description) }
        let canSendNow = self.isConnected && !pingExpired
        if options.requireConnected && !canSendNow { throw .notConnected }

        if self.options.retries > 0 && !options.volatile && !options.requireConnected {
            // The retry queue is a buffer too: bounded with the send buffer (docs/quirks.md #7).
            if self.retryQueue.count + self.sendBuffer.count >= self.sendBufferLimit {
                throw .sendBufferFull(limit: self.sendBufferLimit)
            }
            let seq = self.nextQueueSeq
            self.nextQueueSeq += 1
            self.retryQueue.append(QueuedEmit(
                seq: seq, name: name, arguments: arguments, token: options.ack,
                timeout: options.timeout ?? self.options.ackTimeout, compress: options.compress
            ))
            var actions: [Action] = []
            self.drainQueue(force: false, into: &actions)
            let sent = self.retryQueue.first { $0.seq == seq }?.pending ?? false
            return (sent && canSendNow ? .sent : .buffered, actions)
        }

        if options.volatile && !(canSendNow && writable) {
            return (.dropped, [])
        }
        if !canSendNow && self.sendBuffer.count + self.retryQueue.count >= self.sendBufferLimit {
            throw .sendBufferFull(limit: self.sendBufferLimit)
        }

        var actions: [Action] = []
        var id: UInt64?
        if let token = options.ack {
            id = self.registerAck(.user(token), timeout: options.timeout ?? self.options.ackTimeout, into: &actions)
        }
        let packet = SocketPacket.event(name, arguments, namespace: self.namespace, id: id)
        if canSendNow {
            actions.append(.send(packet, compress: options.compress))
            return (.sent, actions)
        }
        self.sendBuffer.append(BufferedPacket(packet: packet, compress: options.compress))
        return (.buffered, actions)
    }

    /// Answers a server event that asked for an ack (the reference's ack function). Not
    /// buffered: an ack makes sense only on the connection that asked for it.
    public mutating func sendAck(id: UInt64, _ arguments: EventArguments) throws(EmitError) -> [Action] {
        guard self.isConnected else { throw .notConnected }
        return [.send(.ack(arguments, namespace: self.namespace, id: id), compress: true)]
    }

    /// The ack timer of `ackId` fired (docs/quirks.md #10, kept: a buffered packet is removed).
    public mutating func ackTimerFired(ackId: UInt64) -> [Action] {
        guard var pending = self.pendingAcks.removeValue(forKey: ackId) else { return [] }
        pending.hasTimer = false
        self.sendBuffer.removeAll { $0.packet.id == ackId }
        var actions: [Action] = []
        self.complete(pending, with: .failure(.timedOut), into: &actions)
        return actions
    }

    /// The socket is being removed: every waiting emit is answered with ``AckError/closed``.
    public mutating func close() -> [Action] {
        var actions = self.disconnect()
        for id in self.pendingAcks.keys.sorted() {
            guard let pending = self.pendingAcks.removeValue(forKey: id) else { continue }
            if pending.hasTimer { actions.append(.cancelAckTimer(ackId: id)) }
            if case .user(let token) = pending.owner {
                actions.append(.event(.ackResult(token, .failure(.closed))))
            }
        }
        for item in self.retryQueue {
            if let token = item.token { actions.append(.event(.ackResult(token, .failure(.closed)))) }
        }
        self.retryQueue.removeAll()
        self.sendBuffer.removeAll()
        self.receiveBuffer.removeAll()
        return actions
    }

    // MARK: - The Manager's engine

    /// The engine opened (`Socket.onopen`): an active socket sends CONNECT.
    public mutating func managerOpened() -> [Action] {
        guard case .awaitingManager = self.state else { return [] }
        return self.beginConnect()
    }

    /// The CONNECT went unanswered for the Manager's `timeout`: `connect_error` with message
    /// `timeout`, and the socket waits to send it again (``managerOpened()``), as after any
    /// failed attempt; a reply to the abandoned CONNECT is ignored. Not in the reference,
    /// where an unanswered CONNECT leaves the socket connecting forever.
    public mutating func connectTimedOut() -> [Action] {
        switch self.state {
        case .connecting:
            self.state = .awaitingManager
            return [.event(.connectError(.transport(TransportError(message: "timeout"))))]
        case .leaving:
            // Nobody wants it any more: the DISCONNECT owed to the reply is moot.
            self.state = .inactive
            return []
        case .inactive, .awaitingManager, .awaitingAuth, .connected:
            return []
        }
    }

    /// A connection attempt failed, or the engine failed before this socket connected
    /// (`Socket.onerror`): `connect_error` for an active socket that is not connected.
    public mutating func managerFailed(_ error: TransportError) -> [Action] {
        switch self.state {
        case .awaitingManager, .awaitingAuth, .connecting:
            return [.event(.connectError(.transport(error)))]
        case .inactive, .leaving, .connected:
            return []
        }
    }

    /// The engine closed (`Socket.onclose`). Packets the engine never sent come back first
    /// (docs/quirks.md #29, made visible): they return to the front of the send buffer — except
    /// those the socket no longer owes (see ``returnedPackets(_:)``).
    public mutating func managerClosed(
        _ reason: DisconnectReason, description: String?, unsent: [SocketPacket] = []
    ) -> [Action] {
        if case .leaving = self.state { self.state = .inactive }
        self.sendBuffer.insert(contentsOf: self.returnedPackets(unsent), at: 0)
        guard self.isActive else { return [] }
        self.state = .awaitingManager
        var actions: [Action] = [.event(.disconnect(reason, description: description))]
        self.clearAcks(into: &actions)
        return actions
    }

    /// Packets an engine that was closing gracefully never sent, reported after
    /// ``managerClosed(_:description:unsent:)`` (docs/quirks.md #29): sent now when connected
    /// again, else put at the front of the send buffer; filtered as ``returnedPackets(_:)``.
    public mutating func managerReturned(unsent: [SocketPacket]) -> [Action] {
        let returned = self.returnedPackets(unsent)
        guard self.isConnected else {
            self.sendBuffer.insert(contentsOf: returned, at: 0)
            return []
        }
        return returned.map { .send($0.packet, compress: $0.compress) }
    }

    /// The unsent packets worth resending: events only (CONNECT/DISCONNECT/ACK belong to the
    /// dead session), and of those with an ack id only the ones whose ack a user still awaits.
    /// A retry-queue packet is resent by the queue itself (the forced drain after the next
    /// CONNECT), and a packet whose ack completed or timed out must not go out again.
    private func returnedPackets(_ unsent: [SocketPacket]) -> [BufferedPacket] {
        unsent.filter { packet in
            guard packet.type == .event || packet.type == .binaryEvent else { return false }
            guard let id = packet.id else { return true }
            guard let pending = self.pendingAcks[id], case .user = pending.owner else { return false }
            return true
        }
        .map { BufferedPacket(packet: $0, compress: true) }
    }

    /// A packet for this namespace arrived.
    public mutating func received(_ packet: SocketPacket) -> [Action] {
        switch packet.type {
        case .connect:
            return self.receivedConnect(packet)
        case .connectError:
            return self.receivedConnectError(packet)
        case .disconnect:
            return self.receivedDisconnect()
        case .event, .binaryEvent:
            guard case .event(let name, let arguments) = packet.data else { return [] }
            return self.receivedEvent(IncomingEvent(name: name, arguments: arguments, ackId: packet.id))
        case .ack, .binaryAck:
            guard let id = packet.id, case .ack(let arguments) = packet.data else { return [] }
            return self.receivedAck(id: id, arguments)
        }
    }

    // MARK: - Connecting

    private mutating func beginConnect() -> [Action] {
        switch self.options.auth {
        case .none:
            return self.sendConnect(auth: nil)
        case .value(let auth):
            return self.sendConnect(auth: auth)
        case .provider:
            self.state = .awaitingAuth
            return [.event(.authRequested)]
        }
    }

    /// CONNECT with `Object.assign({pid, offset}, auth)` when a recovery pid is known.
    private mutating func sendConnect(auth: JSON?) -> [Action] {
        self.state = .connecting
        var payload = auth
        if let pid = self.pid {
            var merged: JSONObject = ["pid": .string(pid)]
            if let offset = self.offset { merged["offset"] = .string(offset) }
            if case .object(let user) = auth {
                for member in user { merged[member.key] = member.value }
            }
            payload = .object(merged)
        }
        return [.send(.connect(namespace: self.namespace, auth: payload), compress: true)]
    }

    private mutating func receivedConnect(_ packet: SocketPacket) -> [Action] {
        guard case .json(let raw) = packet.data, let reply = try? raw.decode(),
              case .string(let sid)? = reply["sid"]
        else {
            switch self.state {
            case .connecting: return [.event(.connectError(.invalidReply))]
            case .inactive, .leaving, .awaitingManager, .awaitingAuth, .connected: return []
            }
        }
        if case .leaving = self.state {
            self.state = .inactive
            return [.send(.disconnect(namespace: self.namespace), compress: true)]
        }
        guard case .connecting = self.state else { return [] }
        let newPid = reply["pid"]?.stringValue
        self.recovered = newPid != nil && newPid == self.pid
        self.pid = newPid
        if newPid == nil { self.offset = nil }
        self.state = .connected(sid: sid)

        // Flush order after (re)connect (docs/quirks.md #8): received events buffered before
        // the reply, then the send buffer in order, then the retry queue's head, then `connect`.
        var actions: [Action] = []
        let received = self.receiveBuffer
        self.receiveBuffer.removeAll()
        for event in received {
            self.deliver(event, into: &actions)
        }
        let buffered = self.sendBuffer
        self.sendBuffer.removeAll()
        for item in buffered {
            actions.append(.send(item.packet, compress: item.compress))
        }
        self.drainQueue(force: true, into: &actions)
        actions.append(.event(.connect(id: sid, recovered: self.recovered)))
        return actions
    }

    private mutating func receivedConnectError(_ packet: SocketPacket) -> [Action] {
        guard case .connecting = self.state else {
            if case .leaving = self.state { self.state = .inactive }
            return []
        }
        self.state = .inactive
        var message = ""
        var data: JSON?
        if case .json(let raw) = packet.data, let payload = try? raw.decode() {
            switch payload {
            case .string(let text):
                message = text
            case .object:
                message = payload["message"]?.stringValue ?? ""
                data = payload["data"]
            case .null, .bool, .number, .array, .binary:
                break
            }
        }
        return [.event(.connectError(.refused(message: message, data: data)))]
    }

    private mutating func receivedDisconnect() -> [Action] {
        guard self.isConnected else { return [] }
        self.state = .inactive
        var actions: [Action] = [.event(.disconnect(.ioServerDisconnect, description: nil))]
        self.clearAcks(into: &actions)
        return actions
    }

    // MARK: - Receiving

    private mutating func receivedEvent(_ event: IncomingEvent) -> [Action] {
        var actions: [Action] = []
        switch self.state {
        case .connected:
            self.deliver(event, into: &actions)
        case .connecting, .awaitingManager, .awaitingAuth:
            // Events before the CONNECT reply (python-socketio's connect handler, recovered
            // packets) wait for it (docs/quirks.md #22).
            // A limit of 0 or less keeps nothing: this event is the one dropped.
            let limit = Swift.max(0, self.options.receiveBufferLimit)
            guard limit > 0 else {
                actions.append(.event(.eventsDropped(1)))
                return actions
            }
            if self.receiveBuffer.count >= limit {
                let excess = self.receiveBuffer.count - limit + 1
                self.receiveBuffer.removeFirst(excess)
                actions.append(.event(.eventsDropped(excess)))
            }
            self.receiveBuffer.append(event)
        case .inactive, .leaving:
            break
        }
        return actions
    }

    /// `emitEvent`; docs/quirks.md #20, kept: the offset stays in the arguments delivered. An event
    /// carrying an ack id has none: the reference's last argument is then the ack function.
    private mutating func deliver(_ event: IncomingEvent, into actions: inout [Action]) {
        var event = event
        if let pid = self.pid, event.ackId == nil, let offset = event.arguments.lastStringArgument {
            self.offset = offset
            event.recovery = RecoveryPoint(pid: pid, offset: offset)
        }
        actions.append(.event(.event(event)))
    }

    private mutating func receivedAck(id: UInt64, _ arguments: EventArguments) -> [Action] {
        guard let pending = self.pendingAcks.removeValue(forKey: id) else { return [] }
        var actions: [Action] = []
        if pending.hasTimer { actions.append(.cancelAckTimer(ackId: id)) }
        self.complete(pending, with: .success(arguments), into: &actions)
        return actions
    }

    // MARK: - Acks

    /// `_registerAckCallback`: docs/quirks.md #10 and #11, kept — ids from 0, never reused; the
    /// timer starts now, whether the packet is sent or buffered.
    private mutating func registerAck(_ owner: PendingAck.Owner, timeout: Int64?, into actions: inout [Action]) -> UInt64 {
        let id = self.nextAckId
        self.nextAckId += 1
        self.pendingAcks[id] = PendingAck(owner: owner, hasTimer: timeout != nil)
        if let timeout {
            actions.append(.scheduleAckTimer(ackId: id, afterMilliseconds: max(0, timeout)))
        }
        return id
    }

    private mutating func complete(_ pending: PendingAck, with result: Result<EventArguments, AckError>, into actions: inout [Action]) {
        switch pending.owner {
        case .user(let token):
            actions.append(.event(.ackResult(token, result)))
        case .retryQueue(let seq):
            self.queueItemAnswered(seq: seq, result, into: &actions)
        }
    }

    /// `_clearAcks`: acks of packets already sent fail with ``AckError/disconnected``; acks of
    /// packets still in the send buffer wait for the next connection. docs/quirks.md #9, fixed:
    /// acks without a timeout are answered too (the reference drops them silently).
    private mutating func clearAcks(into actions: inout [Action]) {
        let buffered = Set(self.sendBuffer.compactMap(\.packet.id))
        for id in self.pendingAcks.keys.sorted() where !buffered.contains(id) {
            guard let pending = self.pendingAcks.removeValue(forKey: id) else { continue }
            if pending.hasTimer { actions.append(.cancelAckTimer(ackId: id)) }
            self.complete(pending, with: .failure(.disconnected), into: &actions)
        }
    }

    // MARK: - Retry queue (socket.io-client `_addToQueue`, `_drainQueue`)

    /// `_drainQueue`: sends the head when connected and it is not already waiting for its ack
    /// (unless `force`, after a reconnection). One in flight, head of line.
    private mutating func drainQueue(force: Bool, into actions: inout [Action]) {
        guard self.isConnected, var head = self.retryQueue.first else { return }
        if head.pending && !force { return }
        head.pending = true
        head.tryCount += 1
        let id = self.registerAck(.retryQueue(seq: head.seq), timeout: head.timeout, into: &actions)
        self.retryQueue[0] = head
        let packet = SocketPacket.event(head.name, head.arguments, namespace: self.namespace, id: id)
        actions.append(.send(packet, compress: head.compress))
    }

    /// The head's ack came back, timed out or was cleared. docs/quirks.md #19, fixed: any ack is a
    /// success (its arguments are the result); only ``AckError`` counts as a failed try.
    private mutating func queueItemAnswered(seq: UInt64, _ result: Result<EventArguments, AckError>, into actions: inout [Action]) {
        guard var head = self.retryQueue.first, head.seq == seq else { return }
        switch result {
        case .success:
            self.retryQueue.removeFirst()
            if let token = head.token { actions.append(.event(.ackResult(token, result))) }
        case .failure:
            if head.tryCount > self.options.retries {
                self.retryQueue.removeFirst()
                if let token = head.token { actions.append(.event(.ackResult(token, result))) }
            } else {
                head.pending = false
                self.retryQueue[0] = head
            }
        }
        self.drainQueue(force: false, into: &actions)
    }
}
