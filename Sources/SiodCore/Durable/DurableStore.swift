#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GRDB
import NIOConcurrencyHelpers
import NIOPosix

/// siod's database, `siod.db` in the state directory (SQLite through GRDB, WAL,
/// `synchronous=FULL`): the durable outboxes, the disk journals, the consumers and their
/// positions, and each socket's `seq` counter.
///
/// Writes are group-committed on a thread of their own (not an event loop, not the
/// cooperative pool): every write submitted while one transaction commits goes into the
/// next, in submission order, and each is answered once its transaction is on disk. A write
/// that throws is retried alone, so that one bad write fails only itself.
final class DurableStore: Sendable {
    typealias Completion = @Sendable (Result<Void, any Error>) -> Void

    private struct Write {
        let body: @Sendable (Database) throws -> Void
        let done: Completion?
    }

    private struct Pending {
        var writes: [Write] = []
        /// Writes that may wait for the next transaction (``writeLazily(_:)``).
        var lazy: [Write] = []
        var lazyScheduled = false
        var draining = false
        var closed = false
    }

    let path: String
    private let queue: DatabaseQueue
    private let thread: NIOThreadPool
    private let pending = NIOLockedValueBox(Pending())
    /// The next outbox id (ids are siod's, in emit order, never reused).
    private let nextOutboxID: NIOLockedValueBox<Int64>
    /// The sockets (keys) with entries in the outbox table: read at start, added to by the
    /// first durable emit of a socket; an outbox opened for one of them reads its entries.
    private let outboxSockets: NIOLockedValueBox<Set<String>>
    /// How many transactions committed, and how many writes they held (daemon.info).
    let commits = NIOLockedValueBox<(transactions: Int, writes: Int)>((0, 0))

    /// Opens (creating if needed) the database in `directory`, which must exist.
    init(directory: String) throws {
        self.path = directory + "/siod.db"
        var configuration = Configuration()
        configuration.label = "siod"
        configuration.prepareDatabase { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Checkpoints (copying the WAL into the database, with their own syncs) every
            // 16 MB of WAL rather than 4: fewer stalls of the group commit.
            _ = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint = 4000")
        }
        self.queue = try DatabaseQueue(path: self.path, configuration: configuration)
        try Self.migrator.migrate(self.queue)
        // The files hold what clients emit and receive: siod's alone (the directory is 0700 too).
        for file in [self.path, self.path + "-wal", self.path + "-shm"] { chmod(file, 0o600) }
        let maxID = try self.queue.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM outbox") } ?? 0
        self.nextOutboxID = NIOLockedValueBox(maxID + 1)
        let sockets = try self.queue.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT socket FROM outbox") }
        self.outboxSockets = NIOLockedValueBox(Set(sockets))
        self.thread = NIOThreadPool(numberOfThreads: 1)
        self.thread.start()
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE counters(socket TEXT PRIMARY KEY, nextSeq INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE consumers(name TEXT PRIMARY KEY, uid INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE positions(
                    consumer TEXT NOT NULL, socket TEXT NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY(consumer, socket)) WITHOUT ROWID;
                CREATE TABLE outbox(
                    id INTEGER PRIMARY KEY, socket TEXT NOT NULL, event TEXT NOT NULL, args TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, failed TEXT);
                CREATE TABLE journal(
                    socket TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL, args TEXT NOT NULL,
                    ackId INTEGER, pid TEXT, offset TEXT, at INTEGER NOT NULL,
                    PRIMARY KEY(socket, seq)) WITHOUT ROWID;
                """)
        }
        return migrator
    }

    /// A new outbox id.
    func makeOutboxID() -> Int64 {
        self.nextOutboxID.withLockedValue { id in
            defer { id += 1 }
            return id
        }
    }

    /// Whether socket `key` may have outbox entries on disk.
    func hasOutbox(_ key: String) -> Bool { self.outboxSockets.withLockedValue { $0.contains(key) } }

    /// Socket `key` has outbox entries from now on.
    func markOutbox(_ key: String) { self.outboxSockets.withLockedValue { _ = $0.insert(key) } }

    /// Reads now, on the calling thread (start-up and rare lookups, never an event loop's
    /// hot path).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try self.queue.read(body)
    }

    /// Writes now, on the calling thread, in a transaction of its own (start-up only).
    func writeNow(_ body: (Database) throws -> Void) throws {
        try self.queue.write(body)
    }

    /// Queues `body` for the next group commit; `done` is called on the store's thread once it
    /// is on disk, or with the error that kept it off.
    func write(_ body: @escaping @Sendable (Database) throws -> Void, done: Completion? = nil) {
        let start = self.pending.withLockedValue { pending -> Bool? in
            guard !pending.closed else { return nil }
            pending.writes.append(Write(body: body, done: done))
            guard !pending.draining else { return false }
            pending.draining = true
            return true
        }
        guard let start else {
            done?(.failure(DurableStoreError.closed))
            return
        }
        if start { self.thread.submit { _ in self.drain() } }
    }

    /// Queues `body` for a later transaction, with no hurry: it rides with the next writes, or
    /// goes on its own within 20 ms. For what only saves work if it is lost (deleting outbox
    /// entries already acked: lost, they are sent again).
    func writeLazily(_ body: @escaping @Sendable (Database) throws -> Void) {
        let schedule = self.pending.withLockedValue { pending -> Bool in
            guard !pending.closed else { return false }
            pending.lazy.append(Write(body: body, done: nil))
            defer { pending.lazyScheduled = true }
            return !pending.lazyScheduled
        }
        guard schedule else { return }
        MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .milliseconds(20)) { self.flushLazyWrites() }
    }

    /// Commits the lazy writes now unless a drain running will (`closing`: and refuses later
    /// writes).
    private func flushLazyWrites(closing: Bool = false) {
        let start = self.pending.withLockedValue { pending -> Bool in
            if closing { pending.closed = true } else { pending.lazyScheduled = false }
            guard !pending.lazy.isEmpty, !pending.draining else { return false }
            pending.draining = true
            return true
        }
        if start { self.thread.submit { _ in self.drain() } }
    }

    /// Commits what is pending, batch after batch, until nothing is.
    private func drain() {
        while true {
            let batch = self.pending.withLockedValue { pending -> [Write] in
                defer {
                    pending.writes = []
                    pending.lazy = []
                }
                if pending.writes.isEmpty && pending.lazy.isEmpty { pending.draining = false }
                return pending.lazy + pending.writes
            }
            guard !batch.isEmpty else { return }
            do {
                try self.queue.write { db in
                    for write in batch { try write.body(db) }
                }
                self.commits.withLockedValue {
                    $0.transactions += 1
                    $0.writes += batch.count
                }
                for write in batch { write.done?(.success(())) }
            } catch {
                // One write spoiled the batch: each alone, so that only it fails.
                for write in batch {
                    do {
                        try self.queue.write { db in try write.body(db) }
                        write.done?(.success(()))
                    } catch {
                        write.done?(.failure(error))
                    }
                }
            }
        }
    }

    /// Waits for the pending writes, then closes; later writes fail with
    /// ``DurableStoreError/closed``.
    func close() {
        // The lazy writes go with the last transaction.
        self.flushLazyWrites(closing: true)
        // The drain job, if any, runs before this one on the single thread.
        let condition = ConditionLock(value: 0)
        self.thread.submit { _ in
            condition.lock()
            condition.unlock(withValue: 1)
        }
        condition.lock(whenValue: 1)
        condition.unlock()
        try? self.thread.syncShutdownGracefully()
        try? self.queue.close()
    }
}

enum DurableStoreError: Error, CustomStringConvertible {
    case closed

    var description: String {
        switch self {
        case .closed: "the database is closed (siod is stopping)"
        }
    }
}
