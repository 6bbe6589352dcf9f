import NIOCore

/// A socket's durable outbox as a value (docs/rpc.md § Durable emits): which entries to send,
/// and what the server's answers do to them. The driver (``Outbox``) writes the entries to
/// disk, carries out the actions on the socket's event loop, and feeds back what happened.
///
/// - Entries go out in order, each with an ack request, at most ``window`` of them in flight.
/// - An entry is done only when the server acks it. A disconnect, or a timeout, sends again
///   from the oldest unacked entry (go-back-N): at-least-once, in order.
/// - A timeout counts as an attempt; past `retries` more attempts the entry has failed and
///   leaves the queue (the reference client's retry queue counts them alike). A disconnect
///   is not the entry's fault and costs no attempt.
/// - Plain emits made while durable entries wait stay behind them (``plain(_:)``), so that the
///   two kinds keep the order the client made them in.
/// What an outbox may hold and send (the socket's `outboxWindow`, `retries`, `outboxLimit`).
struct OutboxLimits: Sendable, Hashable {
    /// Entries in flight (sent, unacked) at once.
    var window: Int
    /// Attempts after the first that may end in a timeout.
    var retries: Int
    /// Entries queued or failed, and their bytes.
    var entries: Int
    var bytes: Int

    static let `default` = OutboxLimits(window: 64, retries: 0, entries: 100_000, bytes: 64 << 20)
}

struct OutboxMachine<Payload: Sendable>: Sendable {
    typealias ID = Int64

    struct Entry: Sendable {
        let id: ID
        let event: String
        let payload: Payload
        /// Its size on disk (the byte bound).
        let bytes: Int
        /// Sends that ended in a timeout or went unanswered so far.
        var attempts: Int
    }

    struct Failed: Sendable {
        let entry: Entry
        let reason: String
    }

    enum Phase: Sendable, Equatable {
        /// Being written to disk: nothing behind it may go first.
        case writing
        case waiting
        case inFlight(attempt: UInt64)
    }

    /// Slots are small values (an id, a phase): they are copied on every look, and the
    /// entries themselves (event, arguments) stay in ``entries``.
    private enum Slot: Sendable {
        case durable(ID, Phase)
        /// A plain emit waiting behind durable ones: the driver's token for it.
        case plain(UInt64)
    }

    enum Action: Sendable, Equatable {
        /// Emit entry `id` with an ack request, refused if the socket is not connected; the
        /// outcome comes back with `attempt`.
        case send(ID, attempt: UInt64)
        /// Emit the plain emit the driver knows by this token.
        case sendPlain(UInt64)
        /// The server acked entry `id`: delete it, announce it.
        case delivered(ID)
        /// Entry `id` ran out of attempts: mark it failed, announce it.
        case failed(ID, reason: String)
    }

    /// Why a send ended without an ack.
    enum Miss: Sendable, Equatable {
        case timedOut
        case disconnected
        /// Refused by the socket (not connected, or closed).
        case refused
    }

    typealias Limits = OutboxLimits

    let limits: Limits
    private var slots = CircularBuffer<Slot>()
    /// The queued entries (every durable slot's), by id.
    private var entries: [ID: Entry] = [:]
    private(set) var failed: [Failed] = []
    private(set) var connected = false
    private var nextAttempt: UInt64 = 1
    /// Durable entries queued or failed, and their bytes (what the limits bound).
    private(set) var count = 0
    private(set) var bytes = 0

    init(limits: Limits = .default, connected: Bool = false) {
        self.limits = limits
        self.connected = connected
    }

    // MARK: - Inputs

    /// Entries found on disk when the socket is opened (oldest first), queued and failed:
    /// they go before anything emitted while they were being read.
    mutating func load(pending: [Entry], failed: [Failed]) -> [Action] {
        var slots = CircularBuffer<Slot>(initialCapacity: pending.count + self.slots.count)
        for entry in pending {
            slots.append(.durable(entry.id, .waiting))
            self.entries[entry.id] = entry
            self.count += 1
            self.bytes += entry.bytes
        }
        slots.append(contentsOf: self.slots)
        self.slots = slots
        for item in failed {
            self.failed.append(item)
            self.count += 1
            self.bytes += item.entry.bytes
        }
        return self.pump()
    }

    /// Whether an entry of `bytes` fits the limits.
    func accepts(bytes: Int) -> Bool {
        self.count < self.limits.entries && self.bytes + bytes <= self.limits.bytes
    }

    /// A new entry, being written to disk; false (and nothing kept) when the outbox is full.
    mutating func add(_ entry: Entry) -> Bool {
        guard self.accepts(bytes: entry.bytes) else { return false }
        self.slots.append(.durable(entry.id, .writing))
        self.entries[entry.id] = entry
        self.count += 1
        self.bytes += entry.bytes
        return true
    }

    /// Entry `id` is on disk.
    mutating func written(_ id: ID) -> [Action] {
        guard let offset = self.offset(of: id), case .durable(_, .writing) = self[offset] else { return [] }
        self[offset] = .durable(id, .waiting)
        return self.pump()
    }

    /// Entry `id` could not be written: it was never queued.
    mutating func writeFailed(_ id: ID) -> [Action] {
        guard let offset = self.offset(of: id), let entry = self.entries.removeValue(forKey: id) else { return [] }
        self.slots.remove(at: self.position(offset))
        self.count -= 1
        self.bytes -= entry.bytes
        return self.pump()
    }

    /// Whether a plain emit made now waits behind durable entries not yet on the wire.
    var plainMustWait: Bool {
        // Entries in flight are a prefix of the queue: if the last one is, all are.
        switch self.slots.last {
        case nil, .durable(_, .inFlight)?: false
        case .durable?, .plain?: true
        }
    }

    /// A plain emit: sent now unless a durable entry waits to be sent, then kept behind it.
    mutating func plain(_ token: UInt64) -> [Action] {
        guard self.plainMustWait else { return [.sendPlain(token)] }
        self.slots.append(.plain(token))
        return []
    }

    mutating func socketConnected() -> [Action] {
        self.connected = true
        return self.pump()
    }

    /// Every entry in flight is sent again on the next connection.
    mutating func socketDisconnected() {
        self.connected = false
        self.goBack(from: 0)
    }

    /// The server acked entry `id` (any attempt of it: the first copy's ack is as good).
    mutating func acked(_ id: ID) -> [Action] {
        guard let offset = self.offset(of: id), case .durable(_, let phase) = self[offset], phase != .writing,
              let entry = self.entries.removeValue(forKey: id)
        else { return [] }
        self.slots.remove(at: self.position(offset))
        self.count -= 1
        self.bytes -= entry.bytes
        return [.delivered(id)] + self.pump()
    }

    /// Attempt `attempt` of entry `id` ended without an ack.
    mutating func missed(_ id: ID, attempt: UInt64, _ miss: Miss) -> [Action] {
        guard let offset = self.offset(of: id), case .durable(_, .inFlight(attempt)) = self[offset], var entry = self.entries[id] else { return [] }
        switch miss {
        case .disconnected, .refused:
            // Everything in flight goes again on the next connection, in order.
            self.connected = false
            self.goBack(from: 0)
            return []
        case .timedOut:
            entry.attempts += 1
            guard entry.attempts <= self.limits.retries else {
                self.slots.remove(at: self.position(offset))
                self.entries[id] = nil
                let reason = "no ack after \(entry.attempts) attempt\(entry.attempts == 1 ? "" : "s")"
                self.failed.append(Failed(entry: entry, reason: reason))
                return [.failed(id, reason: reason)] + self.pump()
            }
            self.entries[id] = entry
            self[offset] = .durable(id, .waiting)
            self.goBack(from: offset + 1)
            return self.pump()
        }
    }

    /// Removes entries, queued or failed (`socket.outbox.remove`); returns those it had.
    mutating func remove(_ ids: Set<ID>) -> (removed: [ID], actions: [Action]) {
        var removed: [ID] = []
        var kept = CircularBuffer<Slot>()
        for slot in self.slots {
            if case .durable(let id, let phase) = slot, phase != .writing, ids.contains(id), let entry = self.entries.removeValue(forKey: id) {
                removed.append(id)
                self.count -= 1
                self.bytes -= entry.bytes
            } else {
                kept.append(slot)
            }
        }
        self.slots = kept
        self.failed.removeAll { item in
            guard ids.contains(item.entry.id) else { return false }
            removed.append(item.entry.id)
            self.count -= 1
            self.bytes -= item.entry.bytes
            return true
        }
        return (removed, self.pump())
    }

    // MARK: - Reading

    /// The queued entries, oldest first, with whether each is in flight.
    var pending: [(entry: Entry, inFlight: Bool)] {
        self.slots.compactMap { slot in
            guard case .durable(let id, let phase) = slot, phase != .writing, let entry = self.entries[id] else { return nil }
            if case .inFlight = phase { return (entry, true) }
            return (entry, false)
        }
    }

    func entry(_ id: ID) -> Entry? {
        self.entries[id]
    }


    // MARK: - Helpers

    // Slots are reached by their offset from the front: a CircularBuffer index is not valid
    // after the buffer changes.
    private func position(_ offset: Int) -> CircularBuffer<Slot>.Index {
        self.slots.index(self.slots.startIndex, offsetBy: offset)
    }

    private subscript(offset: Int) -> Slot {
        get { self.slots[self.position(offset)] }
        set { self.slots[self.position(offset)] = newValue }
    }

    /// Where entry `id` is. Acks come for the oldest entries, so the search from the front is
    /// short.
    private func offset(of id: ID) -> Int? {
        var offset = 0
        for slot in self.slots {
            if case .durable(id, _) = slot { return offset }
            offset += 1
        }
        return nil
    }

    /// Entries in flight from `start` on wait again (sent anew, in order).
    private mutating func goBack(from start: Int) {
        var offset = start
        while offset < self.slots.count {
            if case .durable(let id, .inFlight) = self[offset] { self[offset] = .durable(id, .waiting) }
            offset += 1
        }
    }

    /// Sends what may go now: in order, durable entries up to the window, plain emits once
    /// everything before them is out. Stops at the first that may not go (entries in flight
    /// are a prefix of the queue, so this looks at little more than the window).
    private mutating func pump() -> [Action] {
        guard self.connected else { return [] }
        var actions: [Action] = []
        var inFlight = 0
        var offset = 0
        while offset < self.slots.count {
            switch self[offset] {
            case .durable(_, .inFlight):
                inFlight += 1
            case .durable(_, .writing):
                return actions
            case .durable(let id, .waiting):
                guard inFlight < self.limits.window else { return actions }
                let attempt = self.nextAttempt
                self.nextAttempt += 1
                self[offset] = .durable(id, .inFlight(attempt: attempt))
                actions.append(.send(id, attempt: attempt))
                inFlight += 1
            case .plain(let token):
                actions.append(.sendPlain(token))
                self.slots.remove(at: self.position(offset))
                continue
            }
            offset += 1
        }
        return actions
    }
}
