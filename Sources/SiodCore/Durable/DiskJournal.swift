import GRDB
import NIOConcurrencyHelpers
import NIOPosix
import SioJSON
import SioProtocol

/// A socket's journal on disk (`journal: {"disk": true}`; docs/rpc.md § The event journal):
/// every received event is a row of `siod.db`'s `journal` table, with its connection state
/// recovery offset. Rows are group-committed, and an event is published only once its row is
/// on disk: what a subscriber saw survives `kill -9`, and a restart recovers from the newest
/// offset delivered, so the server replays nothing that was delivered already.
final class DiskJournal: Sendable {
    struct Options: Sendable, Hashable {
        /// The rows' bytes kept (the oldest go first), and their age in milliseconds.
        var maxBytes: Int
        var maxAge: Int64?

        static let defaultMaxBytes = 256 << 20
    }

    /// An event waiting for its row to be committed.
    struct Pending: Sendable {
        let seq: UInt64
        let event: String
        let argsText: String
        let ackId: UInt64?
        /// The connection state recovery session and offset of the event, if the server gave them.
        let recovery: SocketRecord.Recovery?
        let publish: @Sendable () -> Void
    }

    let socket: String
    let options: Options
    private let store: DurableStore
    private let pending = NIOLockedValueBox<(rows: [Pending], scheduled: Bool)>(([], false))
    /// When rows were last pruned (milliseconds since the epoch).
    private let lastPrune = NIOLockedValueBox<Int64>(0)

    init(socket: SocketKey, options: Options, store: DurableStore) {
        self.socket = socket.description
        self.options = options
        self.store = store
    }

    /// Queues an event's row; `published` is called under the journal's lock, in `seq` order,
    /// once the row is on disk (or could not be written: the event is delivered all the same,
    /// and the failure logged by the store's caller).
    func append(_ row: Pending, journal: SocketJournal) {
        let schedule = self.pending.withLockedValue { pending -> Bool in
            pending.rows.append(row)
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        guard schedule else { return }
        let taken = NIOLockedValueBox<[Pending]>([])
        let socket = self.socket
        self.store.write({ [self] db in
            let rows = self.pending.withLockedValue { pending -> [Pending] in
                defer {
                    pending.rows = []
                    pending.scheduled = false
                }
                return pending.rows
            }
            taken.withLockedValue { $0 = rows }
            let now = Self.now()
            // Many rows per statement: per-statement work, not per-row, was the cost.
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + Self.rowsPerStatement, rows.count)]
                let insert = try db.cachedStatement(sql: Self.insertSQL(rows: chunk.count))
                var values: [(any DatabaseValueConvertible)?] = []
                values.reserveCapacity(chunk.count * 8)
                for row in chunk {
                    values += [
                        socket, Int64(clamping: row.seq), row.event, row.argsText, row.ackId.map { Int64(clamping: $0) }, row.recovery?.pid,
                        row.recovery?.offset, now,
                    ] as [(any DatabaseValueConvertible)?]
                }
                try insert.execute(arguments: StatementArguments(values))
                start += chunk.count
            }
            try self.prune(db, added: rows.reduce(0) { $0 + $1.argsText.utf8.count + $1.event.utf8.count + 32 }, now: now)
        }, done: { _ in
            let rows = taken.withLockedValue { $0 }
            guard !rows.isEmpty else { return }
            journal.state.withLockedValue { state in
                for row in rows {
                    row.publish()
                    state.published(through: row.seq)
                }
            }
        })
    }

    private static let rowsPerStatement = 64

    /// `INSERT … VALUES (…), (…)` for `rows` rows (cached by the database per text).
    private static func insertSQL(rows: Int) -> String {
        "INSERT OR REPLACE INTO journal(socket, seq, event, args, ackId, pid, offset, at) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
    }

    /// What a row costs the `maxBytes` bound.
    private static let rowBytesSQL = "length(args) + length(event) + 32"

    /// The rows' bytes on disk, counted once from the table, then kept up to date (touched
    /// only on the store's thread).
    private let heldBytes = NIOLockedValueBox<Int?>(nil)

    /// The oldest rows beyond `maxBytes` now; at most once a second, those past `maxAge`. Each
    /// costs about the rows it deletes: the bytes are counted as rows are written, and the
    /// age found from the oldest row on.
    private func prune(_ db: Database, added: Int, now: Int64) throws {
        var held: Int
        if let known = self.heldBytes.withLockedValue({ $0 }) {
            held = known + added
        } else {
            // The first time: counted from the table, the rows just written included.
            held = try Int.fetchOne(
                db, sql: "SELECT COALESCE(SUM(\(Self.rowBytesSQL)), 0) FROM journal WHERE socket = ?", arguments: [self.socket]
            ) ?? 0
        }
        if held > self.options.maxBytes {
            // The oldest rows, a thousand at a time, until enough are found.
            var freed = 0
            var cutoff: Int64?
            while held - freed > self.options.maxBytes {
                let rows = try Row.fetchAll(
                    db, sql: "SELECT seq, \(Self.rowBytesSQL) AS bytes FROM journal WHERE socket = ? AND seq > ? ORDER BY seq LIMIT 1000",
                    arguments: [self.socket, cutoff ?? -1]
                )
                guard !rows.isEmpty else { break }
                for row in rows where held - freed > self.options.maxBytes {
                    freed += row["bytes"] as Int
                    cutoff = row["seq"] as Int64
                }
            }
            if let cutoff {
                try db.execute(sql: "DELETE FROM journal WHERE socket = ? AND seq <= ?", arguments: [self.socket, cutoff])
                held -= freed
            }
        }
        if let maxAge = self.options.maxAge, self.lastPrune.withLockedValue({ last in
            defer { if now - last >= 1000 { last = now } }
            return now - last >= 1000
        }) {
            // Rows are in `seq` order and so in time order: the old ones are a prefix.
            var cutoff: Int64?
            var freed = 0
            scan: while true {
                let rows = try Row.fetchAll(
                    db, sql: "SELECT seq, at, \(Self.rowBytesSQL) AS bytes FROM journal WHERE socket = ? AND seq > ? ORDER BY seq LIMIT 1000",
                    arguments: [self.socket, cutoff ?? -1]
                )
                for row in rows {
                    guard (row["at"] as Int64) < now - maxAge else { break scan }
                    freed += row["bytes"] as Int
                    cutoff = row["seq"] as Int64
                }
                if rows.count < 1000 { break }
            }
            if let cutoff {
                try db.execute(sql: "DELETE FROM journal WHERE socket = ? AND seq <= ?", arguments: [self.socket, cutoff])
                held -= freed
            }
        }
        self.heldBytes.withLockedValue { $0 = held }
    }

    /// Rows after `seq`, oldest first, at most `limit`, read on the store's thread (after every
    /// row written before the call); `done` gets them there.
    func rows(after seq: UInt64, limit: Int, done: @escaping @Sendable ([EventJournal.StoredEntry]) -> Void) {
        let socket = self.socket
        let found = NIOLockedValueBox<[EventJournal.StoredEntry]>([])
        self.store.write({ db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT seq, event, args, ackId FROM journal WHERE socket = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [socket, Int64(clamping: seq), limit]
            )
            found.withLockedValue {
                $0 = rows.map { row in
                    EventJournal.StoredEntry(
                        seq: UInt64(clamping: row["seq"] as Int64), event: row["event"], argsText: row["args"],
                        ackId: (row["ackId"] as Int64?).map { UInt64(clamping: $0) }
                    )
                }
            }
        }, done: { _ in done(found.withLockedValue { $0 }) })
    }

    /// The newest recovery session and offset written for `socket` (a restart recovers from it).
    static func newestRecovery(of socket: SocketKey, in store: DurableStore) -> SocketRecord.Recovery? {
        let row = try? store.read { db in
            try Row.fetchOne(
                db, sql: "SELECT pid, offset FROM journal WHERE socket = ? AND pid IS NOT NULL AND offset IS NOT NULL ORDER BY seq DESC LIMIT 1",
                arguments: [socket.description]
            )
        }
        guard let row, let pid = row["pid"] as String?, let offset = row["offset"] as String? else { return nil }
        return SocketRecord.Recovery(pid: pid, offset: offset)
    }

    private static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
