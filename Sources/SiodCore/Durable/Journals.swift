import GRDB
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SioProtocol
import Synchronization

/// One socket name's journal (``EventJournal``) behind the lock that also orders its live
/// notifications: an event is numbered, kept and published under it, and a replay reads and
/// sends under it, so the two never cross.
final class SocketJournal: Sendable {
    let key: SocketKey
    let state: NIOLockedValueBox<EventJournal>
    /// Its rows on disk, for a socket opened with `journal: {"disk": true}`.
    let diskBox = NIOLockedValueBox<DiskJournal?>(nil)
    var disk: DiskJournal? { self.diskBox.withLockedValue { $0 } }
    private unowned let journals: Journals

    /// What waits for its first numbers to be reserved on disk, in order.
    private let waiting = NIOLockedValueBox<[@Sendable () -> Void]>([])
    /// Whether they are: read without a lock on every event, set under `waiting`'s lock.
    private let reserved: Synchronization.Atomic<Bool>
    /// Forgotten by ``Journals`` (closed and empty), set under `state`'s lock: an event that
    /// still comes goes to the name's journal in force.
    fileprivate let retired = Synchronization.Atomic<Bool>(false)

    fileprivate init(key: SocketKey, journal: EventJournal, journals: Journals, reserved: Bool) {
        self.key = key
        self.state = NIOLockedValueBox(journal)
        self.journals = journals
        self.reserved = Synchronization.Atomic(reserved)
    }

    /// Whether its numbers may be used: the first block of a name never seen is reserved on
    /// disk first, so that no number a crash could forget is ever handed out.
    var isReserved: Bool { self.reserved.load(ordering: .acquiring) }

    /// Runs `body` once the journal's first numbers are reserved on disk (at once if they
    /// are), after everything that waited before it.
    func whenReserved(_ body: @escaping @Sendable () -> Void) {
        let now = self.waiting.withLockedValue { waiting -> Bool in
            guard self.isReserved else {
                waiting.append(body)
                return false
            }
            return true
        }
        if now { body() }
    }

    /// The event loop its socket's events come on (set when the socket is opened): what
    /// waited for the reservation runs there, not on the store's thread.
    let loop = NIOLockedValueBox<(any EventLoop)?>(nil)

    /// The reservation is on disk: what waited runs, in order, on the socket's loop, and only
    /// then does the journal take events directly. On that loop no event can come in between:
    /// events arrive there too.
    fileprivate func markReserved() {
        guard let loop = self.loop.withLockedValue({ $0 }) else { return self.runWaiting() }
        loop.execute { self.runWaiting() }
    }

    private func runWaiting() {
        while true {
            let batch = self.waiting.withLockedValue { waiting -> [@Sendable () -> Void] in
                if waiting.isEmpty { self.reserved.store(true, ordering: .releasing) }
                defer { waiting = [] }
                return waiting
            }
            if batch.isEmpty { return }
            for body in batch { body() }
        }
    }

    /// Numbers and keeps a received event, and calls `publish` with its `seq` before anyone
    /// may replay it.
    func record(event: String, arguments: EventArguments, ackId: UInt64?, publish: (UInt64) -> Void) {
        self.record(event: event, arguments: arguments, ackId: ackId) { journal, seq in
            publish(seq)
            journal.published(through: seq)
        }
    }

    /// ``record(event:arguments:ackId:publish:)`` for a disk journal: the event is numbered and
    /// kept now, its row queued, and `publish` is called once the row is on disk.
    func recordDurably(
        event: String, arguments: EventArguments, ackId: UInt64?, recovery: SocketRecord.Recovery?, disk: DiskJournal,
        publish: @escaping @Sendable (UInt64) -> Void
    ) {
        let argsText = String(decoding: Notifications.argsText(arguments), as: UTF8.self)
        self.record(event: event, arguments: arguments, ackId: ackId) { _, seq in
            // Queued under the lock: rows reach the store in seq order.
            disk.append(
                DiskJournal.Pending(seq: seq, event: event, argsText: argsText, ackId: ackId, recovery: recovery, publish: { publish(seq) }),
                journal: self
            )
        }
    }

    /// Numbers and keeps the event under the lock, the process-wide bound kept (closed
    /// sockets' events go first, then this socket's oldest), then `then` with its `seq`,
    /// still under the lock; saves the next
    /// reservation if one is due.
    private func record(event: String, arguments: EventArguments, ackId: UInt64?, then: (inout EventJournal, UInt64) -> Void) {
        let bytes = Notifications.argsTextSize(arguments) + event.utf8.count + 64
        self.journals.makeRoom(bytes)
        let recorded = self.state.withLockedValue { journal -> (reserve: UInt64?, retired: Bool) in
            guard !self.retired.load(ordering: .relaxed) else { return (nil, true) }
            let (seq, reserve, freed) = journal.append(event: event, arguments: arguments, ackId: ackId, bytes: bytes)
            let kept = journal.entries.last?.seq == seq ? bytes : 0
            var over = self.journals.account(added: kept, freed: freed)
            while over > 0, journal.entries.count > 1 {
                over = self.journals.account(added: 0, freed: journal.dropOldest())
            }
            then(&journal, seq)
            return (reserve, false)
        }
        if recorded.retired {
            return self.journals.journal(for: self.key, limits: nil).record(event: event, arguments: arguments, ackId: ackId, then: then)
        }
        if let reserve = recorded.reserve { self.journals.saveCounter(self.key, nextSeq: reserve) }
    }

    /// The `seq` of the last event published.
    var lastSeq: UInt64 { self.state.withLockedValue { $0.publishedThrough } }
}

/// Every socket name's journal, by key, the process-wide bound on their bytes, and the `seq`
/// counters saved in the database.
///
/// A name closed and opened again keeps its numbers and the events its journal still holds.
/// What a closed name costs is bounded: its events are the first to go when the journals are
/// over their bound, and once it holds none its journal is forgotten, leaving only its
/// counters (``Counter``, a few dozen bytes), so that a daemon whose clients open sockets
/// under ever new names does not grow with them.
final class Journals: Sendable {
    private let journals = NIOLockedValueBox<Table>(Table())
    /// `Table.closed.count`, read without the lock on every event once the journals are full;
    /// set by ``changingTable(_:)`` only.
    private let closedCount = Synchronization.Atomic<Int>(0)
    /// The counters of names without a journal in memory: read at start, and left by the
    /// journals forgotten since.
    private let saved: NIOLockedValueBox<[String: Counter]>

    struct Table {
        var journals: [SocketKey: SocketJournal] = [:]
        /// The journals of names no socket has open, oldest closed first.
        var closed = CircularBuffer<SocketKey>()
    }

    /// A name's numbering: its next `seq`, and how far the database has reserved numbers.
    struct Counter {
        var nextSeq: UInt64
        var reservedUntil: UInt64
    }
    private let store: DurableStore?
    /// Bytes held by every journal, and the bound (`--max-journal-bytes`).
    private let bytes = Synchronization.Atomic<Int>(0)
    let maxBytes: Int
    private let logger: Logger

    init(store: DurableStore?, maxBytes: Int, logger: Logger) {
        self.store = store
        self.maxBytes = maxBytes
        self.logger = logger
        var saved: [String: Counter] = [:]
        if let store {
            do {
                try store.read { db in
                    for row in try Row.fetchAll(db, sql: "SELECT socket, nextSeq FROM counters") {
                        let nextSeq = UInt64(clamping: row["nextSeq"] as Int64)
                        saved[row["socket"]] = Counter(nextSeq: nextSeq, reservedUntil: nextSeq + EventJournal.reservationStep)
                    }
                }
                // Each name's next block of numbers is reserved before any is used: one write
                // at start, so that the first events after it are covered too.
                try store.writeNow { db in
                    for (socket, counter) in saved {
                        try db.execute(
                            sql: "UPDATE counters SET nextSeq = ? WHERE socket = ?",
                            arguments: [Int64(clamping: counter.reservedUntil), socket]
                        )
                    }
                }
            } catch {
                logger.error("cannot read or reserve the seq counters", metadata: ["reason": "\(error)"])
            }
        }
        self.saved = NIOLockedValueBox(saved)
    }

    /// The journal of `key`, made if it is new (with `limits`, else the default ones). One that
    /// exists keeps its events and takes `limits` if given (a socket opened again).
    /// `disk`: the socket keeps its events on disk too (a socket opened again takes the new
    /// choice).
    func journal(for key: SocketKey, limits: EventJournal.Limits?, disk: DiskJournal.Options? = nil) -> SocketJournal {
        let journal = self.journal(for: key, limits: limits)
        if limits != nil, let store = self.store {
            journal.diskBox.withLockedValue { current in
                guard current?.options != disk else { return }
                current = disk.map { DiskJournal(socket: key, options: $0, store: store) }
            }
        }
        return journal
    }

    private func journal(for key: SocketKey, limits: EventJournal.Limits?) -> SocketJournal {
        self.journals.withLockedValue { table in
            if let journal = table.journals[key] {
                if let limits { journal.state.withLockedValue { $0.limits = limits } }
                return journal
            }
            let saved = self.saved.withLockedValue { $0.removeValue(forKey: key.description) }
            let journal = SocketJournal(
                key: key,
                journal: EventJournal(nextSeq: saved?.nextSeq ?? 1, reservedUntil: saved?.reservedUntil ?? 0, limits: limits ?? .default),
                journals: self, reserved: saved != nil || self.store == nil
            )
            if saved == nil, self.store != nil {
                // A name never seen: its first block is reserved now; its socket connects
                // once that is on disk (``SocketJournal/whenReserved(_:)``).
                let reserve = 1 + EventJournal.reservationStep
                journal.state.withLockedValue { $0.reserved(until: reserve) }
                self.saveCounter(key, nextSeq: reserve) { journal.markReserved() }
            }
            table.journals[key] = journal
            return journal
        }
    }

    /// The journal of `key` if the process has one.
    func existing(_ key: SocketKey) -> SocketJournal? {
        self.journals.withLockedValue { $0.journals[key] }
    }

    /// How many journals are in memory, and how many of them are closed names'.
    var counts: (journals: Int, closed: Int) {
        self.journals.withLockedValue { ($0.journals.count, $0.closed.count) }
    }

    /// Whether `key` has numbered events: its journal is in memory, or its counter is saved.
    func knows(_ key: SocketKey) -> Bool {
        self.existing(key) != nil || self.saved.withLockedValue { $0[key.description] != nil }
    }

    /// `key` has a socket open again: its journal is no longer a closed one.
    func opened(_ key: SocketKey) {
        self.changingTable { table in
            if let index = table.closed.firstIndex(of: key) { table.closed.remove(at: index) }
        }
    }

    /// `body` with the table, under its lock, for a change to its closed journals: the count
    /// read without the lock follows.
    private func changingTable<T>(_ body: (inout Table) -> T) -> T {
        self.journals.withLockedValue { table in
            defer { self.closedCount.store(table.closed.count, ordering: .relaxed) }
            return body(&table)
        }
    }

    /// No socket has `key` open: its events are the first to go, and it is forgotten once it
    /// holds none.
    func closed(_ key: SocketKey) {
        let unreserved = self.changingTable { table -> SocketJournal? in
            guard let journal = table.journals[key], !table.closed.contains(key) else { return nil }
            table.closed.append(key)
            guard journal.isReserved else { return journal }
            self.forgetIfEmpty(journal, in: &table)
            return nil
        }
        // A new name closed before its first numbers are on disk: forgotten once they are.
        if let unreserved {
            unreserved.whenReserved { [weak self] in self?.forgetIfClosed(unreserved) }
        }
    }

    private func forgetIfClosed(_ journal: SocketJournal) {
        self.changingTable { table in
            guard table.journals[journal.key] === journal, table.closed.contains(journal.key) else { return }
            self.forgetIfEmpty(journal, in: &table, reserved: true)
        }
    }

    /// Lets closed names' events go, oldest closed first, until `bytes` more fit under the
    /// bound (or none is left); forgets the journals it empties.
    fileprivate func makeRoom(_ bytes: Int) {
        guard self.bytes.load(ordering: .relaxed) + bytes > self.maxBytes, self.closedCount.load(ordering: .relaxed) > 0 else { return }
        self.changingTable { table in
            while self.bytes.load(ordering: .relaxed) + bytes > self.maxBytes, let key = table.closed.first {
                guard let journal = table.journals[key] else {
                    table.closed.removeFirst()
                    continue
                }
                let freed = journal.state.withLockedValue { state in
                    var freed = 0
                    while self.bytes.load(ordering: .relaxed) - freed + bytes > self.maxBytes, !state.entries.isEmpty {
                        freed += state.dropOldest()
                    }
                    return freed
                }
                _ = self.account(added: 0, freed: freed)
                if !self.forgetIfEmpty(journal, in: &table) { break }
            }
        }
    }

    /// Forgets closed `journal` if it holds no event and owes nothing to the database or to
    /// subscribers (its numbers reserved, every event published), keeping its counter.
    /// `reserved`: called by what waited for the reservation (which runs before the journal
    /// says it is reserved).
    @discardableResult
    private func forgetIfEmpty(_ journal: SocketJournal, in table: inout Table, reserved: Bool = false) -> Bool {
        guard reserved || journal.isReserved else { return false }
        let counter = journal.state.withLockedValue { state -> Counter? in
            guard state.entries.isEmpty, state.publishedThrough == state.lastSeq else { return nil }
            journal.retired.store(true, ordering: .relaxed)
            return Counter(nextSeq: state.nextSeq, reservedUntil: state.reservedUntil)
        }
        guard let counter else { return false }
        table.journals[journal.key] = nil
        if let index = table.closed.firstIndex(of: journal.key) { table.closed.remove(at: index) }
        self.saved.withLockedValue { $0[journal.key.description] = counter }
        return true
    }

    /// Counts bytes kept and let go; returns how far past the bound the journals are.
    fileprivate func account(added: Int, freed: Int) -> Int {
        let total = self.bytes.add(added - freed, ordering: .relaxed).newValue
        return total - self.maxBytes
    }

    /// Bytes held by every journal.
    var heldBytes: Int { self.bytes.load(ordering: .relaxed) }

    fileprivate func saveCounter(_ key: SocketKey, nextSeq: UInt64, then: (@Sendable () -> Void)? = nil) {
        self.saveCounter(key.description, nextSeq: nextSeq, then: then)
    }

    private func saveCounter(_ name: String, nextSeq: UInt64, then: (@Sendable () -> Void)? = nil) {
        guard let store = self.store else { return }
        store.write({ db in
            try db.cachedStatement(
                sql: "INSERT INTO counters(socket, nextSeq) VALUES (?, ?) ON CONFLICT(socket) DO UPDATE SET nextSeq = excluded.nextSeq"
            ).execute(arguments: [name, Int64(clamping: nextSeq)])
        }, done: { [logger] result in
            if case .failure(let error) = result {
                logger.error("cannot save a seq counter", metadata: ["socket": "\(name)", "reason": "\(error)"])
            }
            then?()
        })
    }

    /// A clean stop: each counter saved exactly, so that numbering goes on with no jump.
    func saveExactCounters() {
        let counters = self.journals.withLockedValue { $0.journals.values.map { ($0.key.description, $0.state.withLockedValue { $0.nextSeq }) } }
            + self.saved.withLockedValue { $0.map { ($0.key, $0.value.nextSeq) } }
        for (name, nextSeq) in counters where nextSeq > 1 {
            self.saveCounter(name, nextSeq: nextSeq)
        }
    }
}
