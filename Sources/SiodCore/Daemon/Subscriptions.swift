import NIOConcurrencyHelpers
import RPC
import SioJSON
import SioProtocol

/// The `events.subscribe` subscriptions of every RPC client, and the fan-out of notifications
/// to them. Publishing takes one lock and never waits: each connection has its own bounded
/// queue (RPCConnection), so a slow reader only loses its own oldest notifications.
final class Subscriptions: Sendable {
    struct Subscription: Sendable {
        let id: Int
        let connection: RPCConnection
        /// Who subscribed: it sees only the sockets it may use, named as it names them.
        let caller: Caller
        /// The sockets covered (every key each given name may mean); `nil`: every socket the
        /// caller may use, including later ones.
        let sockets: Set<SocketKey>?
        /// The `socket.event` names delivered; `nil`: all. Lifecycle notifications always go.
        let events: Set<String>?
        /// Also the engine's notifications (`manager.upgrade`, `manager.ping`, `manager.error`,
        /// `engine.*`).
        let engine: Bool
        /// Also `socket.outgoing`: the events written on the covered sockets.
        let outgoing: Bool
        /// False until the subscribe response is written (see `activate`).
        var active: Bool
        /// Sockets whose journal is being replayed to it: their live events wait (they are in
        /// the journal) until the replay catches up (``finishReplay(_:key:)``).
        var replaying: Set<SocketKey> = []

        func covers(_ socket: NamedSocket) -> Bool {
            (self.sockets?.contains(socket.key) ?? true) && socket.isVisible(to: self.caller)
        }
    }

    private struct State {
        var nextID = 1
        var byID: [Int: Subscription] = [:]
        /// Connections whose close already removes their subscriptions.
        var watched: Set<Int> = []
    }

    private let state = NIOLockedValueBox(State())

    /// Adds an inactive subscription; ``activate(_:)`` it once the response is written.
    func add(
        connection: RPCConnection, caller: Caller, sockets: Set<String>?, events: Set<String>?, engine: Bool, outgoing: Bool,
        replaying: Set<SocketKey> = []
    ) -> Int {
        let keys = sockets.map { Set($0.flatMap { SocketKey.candidates($0, for: caller) }) }
        let (id, watch) = self.state.withLockedValue { state -> (Int, Bool) in
            defer { state.nextID += 1 }
            let id = state.nextID
            state.byID[id] = Subscription(
                id: id, connection: connection, caller: caller, sockets: keys, events: events, engine: engine, outgoing: outgoing,
                active: false, replaying: replaying
            )
            return (id, state.watched.insert(connection.id).inserted)
        }
        // A half-closed client (socat at end of input) keeps receiving while subscribed.
        connection.setKeepOpen(true)
        if watch {
            connection.onClose { [weak self] in self?.removeAll(connectionID: connection.id) }
        }
        return id
    }

    func activate(_ id: Int) {
        self.state.withLockedValue { $0.byID[id]?.active = true }
    }

    /// Removes subscription `id` of `connection`; false if it has none of that id.
    func remove(_ id: Int, connection: RPCConnection) -> Bool {
        let (removed, remaining) = self.state.withLockedValue { state -> (Bool, Int) in
            guard let subscription = state.byID[id], subscription.connection.id == connection.id else { return (false, 0) }
            state.byID[id] = nil
            return (true, state.byID.values.count { $0.connection.id == connection.id })
        }
        if removed && remaining == 0 { connection.setKeepOpen(false) }
        return removed
    }

    private func removeAll(connectionID: Int) {
        self.state.withLockedValue { state in
            state.byID = state.byID.filter { $0.value.connection.id != connectionID }
            state.watched.remove(connectionID)
        }
    }

    /// Subscription `id`, if it still exists.
    func subscription(_ id: Int) -> Subscription? {
        self.state.withLockedValue { $0.byID[id] }
    }

    /// The replay of `key` to subscription `id` caught up with the journal: its live events
    /// go to it from now on. Called under the journal's lock.
    func finishReplay(_ id: Int, key: SocketKey) {
        self.state.withLockedValue { _ = $0.byID[id]?.replaying.remove(key) }
    }

    /// How many subscriptions exist.
    var count: Int { self.state.withLockedValue { $0.byID.count } }

    /// The active subscriptions covering `socket` (for `socket.event`: wanting `event`; for
    /// `socket.outgoing`: asking for `outgoing`).
    func subscribers(of socket: NamedSocket, event: String? = nil, engineOnly: Bool = false, outgoing: Bool = false) -> [Subscription] {
        self.state.withLockedValue { state in
            state.byID.values.filter { subscription in
                subscription.active && subscription.covers(socket) && (!engineOnly || subscription.engine)
                    && (outgoing || event == nil || !subscription.replaying.contains(socket.key))
                    && (!outgoing || subscription.outgoing)
                    && (outgoing || event == nil || subscription.events.map { $0.contains(event!) } ?? true)
            }
        }
    }

    /// Sends notification `method` to every subscriber of `socket`: params are
    /// `{subscription, socket, …fields}`.
    func publish(_ method: String, socket: NamedSocket, _ fields: JSONObject, engineOnly: Bool = false) {
        for subscription in self.subscribers(of: socket, engineOnly: engineOnly) {
            let name = socket.key.display(for: subscription.caller)
            var params: JSONObject = ["subscription": .number(JSONNumber(subscription.id)), "socket": .string(name)]
            params.members += fields.members
            subscription.connection.notify(method: method, params: .object(params))
        }
    }

    /// Sends `socket.event` to the subscribers of `socket` that want `event` (or, `outgoing`,
    /// `socket.outgoing` with `outSeq` to those that asked for it). The line is built once per
    /// subscriber from the arguments' text, not from a tree; a line no subscriber's queue
    /// could hold is not built at all.
    func publishEvent(socket named: NamedSocket, event: String, arguments: EventArguments, ackId: UInt64?, seq: UInt64, outgoing: Bool = false) {
        let subscribers = self.subscribers(of: named, event: event, outgoing: outgoing)
        guard !subscribers.isEmpty else { return }
        // A server's 10 attachments of 16 MB made one 224 MB line, only to be refused by every
        // queue: each subscriber is told instead (`events.lagged` with its size, estimated).
        let estimate = Notifications.argsTextSize(arguments) + event.utf8.count + 160
        let fits = subscribers.contains { estimate <= $0.connection.limits.maxQueuedNotificationBytes }
        let argsText = fits ? Notifications.argsText(arguments) : []
        func tail(naming socket: String) -> [UInt8] {
            Self.eventTail(socket: socket, event: event, argsText: argsText, ackId: ackId, seq: seq, outgoing: outgoing)
        }
        let method = outgoing ? "socket.outgoing" : "socket.event"
        let position = Position(name: outgoing ? "outSeq" : "seq", value: seq)
        guard fits else {
            for subscription in subscribers {
                self.lagged(subscription, socket: named.key.display(for: subscription.caller), method: method, position: position, bytes: estimate)
            }
            return
        }
        self.sendEach(subscribers, of: named, method: method, position: position, tail: tail(naming:))
    }

    /// `socket.delivered {outboxId, args}` to the subscribers of `socket`, its line built from
    /// the ack's text (no tree).
    func publishDelivered(socket named: NamedSocket, outboxId: Int64, args: EventArguments) {
        let subscribers = self.subscribers(of: named)
        guard !subscribers.isEmpty else { return }
        let argsText = Notifications.argsText(args)
        let position = Position(name: "outboxId", value: UInt64(clamping: outboxId))
        self.sendEach(subscribers, of: named, method: "socket.delivered", position: position) { socket in
            var tail: [UInt8] = #","socket":"#.utf8 + []
            JSON.string(socket).write(to: &tail)
            tail += #","outboxId":"#.utf8
            tail += String(outboxId).utf8
            tail += #","args":"#.utf8
            tail += argsText
            tail += "}".utf8
            return tail
        }
    }

    /// What a notification is about, as `events.lagged` names it when it cannot be queued:
    /// `seq`, `outSeq` or `outboxId`.
    struct Position {
        let name: String
        let value: UInt64
    }

    /// Sends `method` to each of `subscribers`. Everything after the subscription id, `tail`,
    /// is the same for every subscriber that names the socket alike (its owner and siod's
    /// other users, by name; admins and shared users of another owner's socket, qualified):
    /// built once for each.
    private func sendEach(
        _ subscribers: [Subscription], of named: NamedSocket, method: String, position: Position, tail: (String) -> [UInt8]
    ) {
        var last: (socket: String, tail: [UInt8])?
        for subscription in subscribers {
            let socket = named.key.display(for: subscription.caller)
            if last?.socket != socket { last = (socket, tail(socket)) }
            self.send(method: method, subscription: subscription, socket: socket, tail: last?.tail ?? [], position: position)
        }
    }

    /// `,"socket":…,"event":…,"args":…[,"ackId":…],"seq":…}`: the params of `socket.event`
    /// after the subscription id.
    static func eventTail(socket: String, event: String, argsText: [UInt8], ackId: UInt64?, seq: UInt64, outgoing: Bool) -> [UInt8] {
        var tail: [UInt8] = []
        tail.reserveCapacity(argsText.count + socket.utf8.count + event.utf8.count + 64)
        tail += #","socket":"#.utf8
        JSON.string(socket).write(to: &tail)
        tail += #","event":"#.utf8
        JSON.string(event).write(to: &tail)
        tail += #","args":"#.utf8
        tail += argsText
        if let ackId {
            tail += #","ackId":"#.utf8
            tail += String(ackId).utf8
        }
        tail += outgoing ? #","outSeq":"#.utf8 : #","seq":"#.utf8
        tail += String(seq).utf8
        tail += "}".utf8
        return tail
    }

    /// Queues one notification line for `subscription`; one larger than the client's whole
    /// queue is not queued but said (its position and size), so that the consumer knows what
    /// it lost.
    private func send(method: String, subscription: Subscription, socket: String, tail: [UInt8], position: Position) {
        var params: [UInt8] = []
        params.reserveCapacity(tail.count + 24)
        params += #"{"subscription":"#.utf8
        params += String(subscription.id).utf8
        params += tail
        let line = RPCNotification.line(method: method, paramsText: params)
        guard line.count <= subscription.connection.limits.maxQueuedNotificationBytes else {
            self.lagged(subscription, socket: socket, method: method, position: position, bytes: line.count)
            return
        }
        subscription.connection.notify(line: line)
    }

    /// Sends `journal`'s events after `seq` to subscription `id` (first `events.gap` if the
    /// journal no longer holds `seq + 1`), a part at a time as the client reads them, then lets
    /// the socket's live events through. Each part is read and sent under the journal's lock,
    /// and the last one opens the gate under it: the replay and the live stream meet with no
    /// gap and no duplicate.
    func replay(_ journal: SocketJournal, after seq: UInt64, to id: Int) {
        let part = 512
        // Older than what memory holds: from the disk journal first, a part at a time, no
        // further than what is published (the rest comes from memory, then live).
        if let disk = journal.disk {
            let published = journal.state.withLockedValue { state -> UInt64? in
                seq < state.publishedThrough && seq + 1 < (state.firstSeq ?? state.nextSeq) ? state.publishedThrough : nil
            }
            if let published {
                disk.rows(after: seq, limit: part) { [weak self] rows in
                    guard let self, let subscription = self.subscription(id), subscription.connection.isOpen else { return }
                    let rows = rows.filter { $0.seq <= published }
                    guard let last = rows.last else {
                        // Nothing on disk after `seq`: memory says what is gone.
                        self.replayFromMemory(journal, after: seq, to: id, part: part)
                        return
                    }
                    let socket = journal.key.display(for: subscription.caller)
                    var expected = seq + 1
                    for row in rows {
                        // Numbers missing on disk: pruned, or skipped by a restart after a crash.
                        if row.seq > expected { self.gap(subscription, socket: socket, expected...row.seq - 1) }
                        expected = row.seq + 1
                        guard subscription.events.map({ $0.contains(row.event) }) ?? true else { continue }
                        let tail = Self.eventTail(
                            socket: socket, event: row.event, argsText: Array(row.argsText.utf8), ackId: row.ackId, seq: row.seq, outgoing: false
                        )
                        self.send(method: "socket.event", subscription: subscription, socket: socket, tail: tail, position: Position(name: "seq", value: row.seq))
                    }
                    subscription.connection.whenQueuedNotifications(atMost: part) { [weak self] in
                        self?.replay(journal, after: last.seq, to: id)
                    }
                }
                return
            }
        }
        self.replayFromMemory(journal, after: seq, to: id, part: part)
    }

    /// `events.gap {from, to}` to `subscription`.
    private func gap(_ subscription: Subscription, socket: String, _ gap: ClosedRange<UInt64>) {
        subscription.connection.notify(method: "events.gap", params: [
            "subscription": .number(JSONNumber(subscription.id)), "socket": .string(socket),
            "from": .number(JSONNumber(gap.lowerBound)), "to": .number(JSONNumber(gap.upperBound)),
        ])
    }

    /// The replay's part from the journal in memory, ending with the switch to live events.
    private func replayFromMemory(_ journal: SocketJournal, after seq: UInt64, to id: Int, part: Int) {
        let next = journal.state.withLockedValue { state -> UInt64? in
            guard let subscription = self.subscription(id), subscription.connection.isOpen else { return nil }
            let socket = journal.key.display(for: subscription.caller)
            let replay = state.replay(after: seq, limit: part)
            var cursor = seq
            if let gap = replay.gap {
                self.gap(subscription, socket: socket, gap)
                cursor = gap.upperBound
            }
            for entry in replay.entries {
                cursor = entry.seq
                guard subscription.events.map({ $0.contains(entry.event) }) ?? true else { continue }
                let tail = Self.eventTail(
                    socket: socket, event: entry.event, argsText: Notifications.argsText(entry.arguments), ackId: entry.ackId,
                    seq: entry.seq, outgoing: false
                )
                self.send(method: "socket.event", subscription: subscription, socket: socket, tail: tail, position: Position(name: "seq", value: entry.seq))
            }
            guard cursor < state.publishedThrough else {
                self.finishReplay(id, key: journal.key)
                return nil
            }
            return cursor
        }
        guard let next, let connection = self.subscription(id)?.connection else { return }
        connection.whenQueuedNotifications(atMost: part) { [weak self] in self?.replay(journal, after: next, to: id) }
    }

    /// `events.lagged` for one notification too large for the subscriber's queue.
    private func lagged(_ subscription: Subscription, socket: String, method: String, position: Position, bytes: Int) {
        guard let lagged = subscription.connection.limits.laggedNotificationMethod else { return }
        subscription.connection.notify(method: lagged, params: [
            "subscription": .number(JSONNumber(subscription.id)), "socket": .string(socket), "dropped": 1,
            "method": .string(method), position.name: .number(JSONNumber(position.value)),
            "bytes": .number(JSONNumber(bytes)),
        ])
    }
}
