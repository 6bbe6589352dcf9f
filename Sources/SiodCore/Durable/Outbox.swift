import GRDB
import NIOConcurrencyHelpers
import NIOCore
import RPC
import SioClient
import SioJSON
import SioProtocol

/// A named socket's durable outbox at work (docs/rpc.md § Durable emits): the
/// ``OutboxMachine`` on the socket's Manager loop, its entries in the database, and the socket
/// that sends them. Every method may be called from any thread; the machine is touched only
/// on the loop, in the order the calls were made from each thread.
final class Outbox: @unchecked Sendable {
    typealias Machine = OutboxMachine<EventArguments>

    /// What the outbox tells the world: an entry delivered (with the server's ack) or failed.
    struct Reports: Sendable {
        var delivered: @Sendable (_ id: Int64, _ args: EventArguments) -> Void
        var failed: @Sendable (_ id: Int64, _ event: String, _ reason: String) -> Void
    }

    let socketKey: String
    private let loop: any EventLoop
    private let socket: Socket
    private let store: DurableStore
    private let reports: Reports
    /// Set once the socket has durable entries (emitted, or found on disk): from then on its
    /// plain emits go through the outbox too, to keep their order with the durable ones.
    private let inUse: NIOLockedValueBox<Bool>

    // Touched only on `loop`.
    private var machine: Machine
    private var plains: [UInt64: () -> Void] = [:]
    private var nextPlain: UInt64 = 1
    private var closed = false
    /// While the entries on disk are read: what was asked meanwhile, run once they are in.
    private var loading: [@Sendable () -> Void]?

    init(key: SocketKey, loop: any EventLoop, socket: Socket, store: DurableStore, limits: OutboxLimits, stored: Bool, reports: Reports) {
        self.socketKey = key.description
        self.loop = loop
        self.socket = socket
        self.store = store
        self.reports = reports
        self.machine = Machine(limits: limits)
        self.inUse = NIOLockedValueBox(stored)
        if stored {
            self.loading = []
            self.load()
        }
    }

    /// Whether plain emits must go through ``plain(_:)``.
    var isInUse: Bool { self.inUse.withLockedValue { $0 } }

    // MARK: - Emits

    /// A durable emit: `reply` gets its outbox id once it is on disk, or why it is not.
    func emit(event: String, args: [JSON], reply: @escaping @Sendable (Result<Int64, RPCError>) -> Void) {
        if !self.inUse.withLockedValue({ $0 }) {
            self.store.markOutbox(self.socketKey)
            self.inUse.withLockedValue { $0 = true }
        }
        let arguments = EventArguments(args)
        // The RPC form to keep on disk: the Socket.IO text itself when nothing is binary.
        let text = Notifications.argsText(arguments)
        let argsText = String(decoding: text, as: UTF8.self)
        let bytes = text.count + event.utf8.count
        self.whenLoaded { [self] in
            let id = self.store.makeOutboxID()
            guard self.machine.add(Machine.Entry(id: id, event: event, payload: arguments, bytes: bytes, attempts: 0)) else {
                reply(.failure(.overloaded("the outbox of \(self.socketKey) is full (outboxLimit: \(self.machine.limits.entries) entries, \(self.machine.limits.bytes) bytes)")))
                return
            }
            let socket = self.socketKey
            self.store.write({ db in
                // Cached: parsing the statement again cost more than running it.
                try db.cachedStatement(sql: "INSERT INTO outbox(id, socket, event, args) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [id, socket, event, argsText])
            }, done: { result in
                // One hop to the loop for every entry of a transaction, not one each.
                let first = self.committed.withLockedValue { committed -> Bool in
                    let failure: (any Error)? = if case .failure(let error) = result { error } else { nil }
                    committed.append(Committed(id: id, failure: failure, reply: reply))
                    return committed.count == 1
                }
                if first { self.loop.execute { self.takeCommitted() } }
            })
        }
    }

    private struct Committed: Sendable {
        let id: Int64
        let failure: (any Error)?
        let reply: @Sendable (Result<Int64, RPCError>) -> Void
    }

    /// Entries whose write ended, waiting for the loop.
    private let committed = NIOLockedValueBox<[Committed]>([])

    private func takeCommitted() {
        let committed = self.committed.withLockedValue { committed -> [Committed] in
            defer { committed = [] }
            return committed
        }
        for entry in committed {
            if let failure = entry.failure {
                entry.reply(.failure(.databaseError(failure)))
                self.perform(self.machine.writeFailed(entry.id))
            } else {
                entry.reply(.success(entry.id))
                self.perform(self.machine.written(entry.id))
            }
        }
    }

    /// A plain emit on a socket whose outbox is in use: `send` runs on the loop once every
    /// durable entry emitted before it is on the wire. If it must wait, `held` is called first
    /// (to answer the client: the emit is buffered); it returns false for an emit that is
    /// dropped rather than held (volatile).
    func plain(_ send: @escaping @Sendable () -> Void, held: @escaping @Sendable () -> Bool) {
        self.whenLoaded { [self] in
            if self.machine.plainMustWait, !held() { return }
            let token = self.nextPlain
            self.nextPlain += 1
            self.plains[token] = send
            self.perform(self.machine.plain(token))
        }
    }

    // MARK: - The socket's life (called on the loop)

    func socketConnected() {
        self.loop.preconditionInEventLoop()
        self.perform(self.machine.socketConnected())
    }

    func socketDisconnected() {
        self.loop.preconditionInEventLoop()
        self.machine.socketDisconnected()
    }

    /// The socket is closed: nothing more is sent (the entries wait on disk for the name to be
    /// opened again).
    func close() {
        self.onLoop { [self] in
            self.closed = true
            for send in self.plains.values { send() }
            self.plains = [:]
        }
    }

    // MARK: - Listing and removing

    /// `socket.outbox`: `{pending: [{outboxId, event, attempts, inFlight}], failed: [{outboxId, event, attempts, reason}]}`.
    func list(reply: @escaping @Sendable (JSON) -> Void) {
        self.whenLoaded { [self] in
            func number(_ value: some BinaryInteger) -> JSON { .number(JSONNumber(Int(value))) }
            let pending = self.machine.pending.map { item -> JSON in
                [
                    "outboxId": number(item.entry.id), "event": .string(item.entry.event), "attempts": number(item.entry.attempts),
                    "inFlight": .bool(item.inFlight),
                ]
            }
            let failed = self.machine.failed.map { item -> JSON in
                [
                    "outboxId": number(item.entry.id), "event": .string(item.entry.event), "attempts": number(item.entry.attempts),
                    "reason": .string(item.reason),
                ]
            }
            reply(["pending": .array(pending), "failed": .array(failed)])
        }
    }

    /// `socket.outbox.remove`: `reply` gets the ids removed once they are off the disk.
    func remove(_ ids: Set<Int64>, reply: @escaping @Sendable (Result<[Int64], RPCError>) -> Void) {
        self.whenLoaded { [self] in
            let (removed, actions) = self.machine.remove(ids)
            self.perform(actions)
            self.store.write({ db in
                for id in removed { try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id]) }
            }, done: { result in reply(result.map { removed.sorted() }.mapError { .databaseError($0) }) })
        }
    }

    // MARK: - Carrying out the machine's actions

    private func perform(_ actions: [Machine.Action], ack: EventArguments? = nil) {
        guard !self.closed else { return }
        for action in actions {
            switch action {
            case .send(let id, let attempt):
                guard let entry = self.machine.entry(id) else { continue }
                self.socket.emitWithAck(entry.event, entry.payload, requireConnected: true) { [self] result in
                    self.onLoop { self.answered(id, attempt: attempt, result) }
                }
            case .sendPlain(let token):
                self.plains.removeValue(forKey: token)?()
            case .delivered(let id):
                self.deleteLazily(id)
                self.reports.delivered(id, ack ?? EventArguments([]))
            case .failed(let id, let reason):
                guard let entry = self.machine.failed.last(where: { $0.entry.id == id })?.entry else { continue }
                let (event, attempts) = (entry.event, entry.attempts)
                self.store.write { db in
                    try db.execute(sql: "UPDATE outbox SET failed = ?, attempts = ? WHERE id = ?", arguments: [reason, attempts, id])
                }
                self.reports.failed(id, event, reason)
            }
        }
    }

    /// Acked entries not yet deleted on disk. Lost in a crash, an entry is only sent again
    /// (at-least-once): they ride with the next transaction, as ranges of ids.
    private let acked = NIOLockedValueBox<[Int64]>([])

    private func deleteLazily(_ id: Int64) {
        let first = self.acked.withLockedValue { acked -> Bool in
            acked.append(id)
            return acked.count == 1
        }
        guard first else { return }
        self.store.writeLazily { [acked] db in
            let ids = acked.withLockedValue { ids -> [Int64] in
                defer { ids = [] }
                return ids.sorted()
            }
            let delete = try db.cachedStatement(sql: "DELETE FROM outbox WHERE id BETWEEN ? AND ?")
            var start = 0
            while start < ids.count {
                var end = start
                while end + 1 < ids.count && ids[end + 1] == ids[end] + 1 { end += 1 }
                try delete.execute(arguments: [ids[start], ids[end]])
                start = end + 1
            }
        }
    }

    private func answered(_ id: Int64, attempt: UInt64, _ result: Result<EventArguments, ClientError>) {
        switch result {
        case .success(let args):
            self.perform(self.machine.acked(id), ack: args)
        case .failure(let error):
            let miss: Machine.Miss =
                switch error.ackError {
                case .timedOut?: .timedOut
                case .disconnected?: .disconnected
                default: .refused
                }
            self.perform(self.machine.missed(id, attempt: attempt, miss))
        }
    }

    /// The entries on disk (a restart, or the name opened again), read on the store's thread
    /// before any later write of this socket.
    private func load() {
        let socket = self.socketKey
        let found = NIOLockedValueBox<(pending: [Machine.Entry], failed: [Machine.Failed])>(([], []))
        self.store.write({ db in
            var pending: [Machine.Entry] = []
            var failed: [Machine.Failed] = []
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, event, args, attempts, failed FROM outbox WHERE socket = ? ORDER BY id", arguments: [socket]
            )
            for row in rows {
                let argsText: String = row["args"]
                let args = (try? JSON(parsingRPC: Array(argsText.utf8)))?.arrayValue ?? []
                let entry = Machine.Entry(
                    id: row["id"], event: row["event"], payload: EventArguments(args), bytes: argsText.utf8.count, attempts: row["attempts"]
                )
                if let reason: String = row["failed"] {
                    failed.append(Machine.Failed(entry: entry, reason: reason))
                } else {
                    pending.append(entry)
                }
            }
            found.withLockedValue { $0 = (pending, failed) }
        }, done: { [self] result in
            let (pending, failed) = found.withLockedValue { $0 }
            self.onLoop {
                if case .success = result {
                    self.perform(self.machine.load(pending: pending, failed: failed))
                }
                let waiting = self.loading ?? []
                self.loading = nil
                for body in waiting { body() }
            }
        })
    }

    /// Runs `body` on the loop, after the entries on disk are in.
    private func whenLoaded(_ body: @escaping @Sendable () -> Void) {
        self.onLoop { [self] in
            if self.loading != nil {
                self.loading?.append(body)
            } else {
                body()
            }
        }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if self.loop.inEventLoop { body() } else { self.loop.execute(body) }
    }
}
