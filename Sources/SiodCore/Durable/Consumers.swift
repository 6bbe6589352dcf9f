import GRDB
import Logging
import NIOConcurrencyHelpers
import RPC

/// Named consumers (docs/rpc.md § Consumers): for each name, the uid that owns it and, per
/// socket, the last `seq` it committed. Read from the database at start; every change is
/// written through before it is answered.
final class Consumers: Sendable {
    struct Consumer: Sendable {
        let uid: UInt32
        /// Socket key (``SocketKey/description``) → the last committed `seq`.
        var positions: [String: UInt64]
    }

    private let state: NIOLockedValueBox<[String: Consumer]>
    private let store: DurableStore

    init(store: DurableStore, logger: Logger) {
        self.store = store
        var consumers: [String: Consumer] = [:]
        do {
            try store.read { db in
                for row in try Row.fetchAll(db, sql: "SELECT name, uid FROM consumers") {
                    consumers[row["name"]] = Consumer(uid: UInt32(clamping: row["uid"] as Int64), positions: [:])
                }
                for row in try Row.fetchAll(db, sql: "SELECT consumer, socket, seq FROM positions") {
                    consumers[row["consumer"]]?.positions[row["socket"]] = UInt64(clamping: row["seq"] as Int64)
                }
            }
        } catch {
            logger.error("cannot read the consumers", metadata: ["reason": "\(error)"])
        }
        self.state = NIOLockedValueBox(consumers)
    }

    /// The names a consumer may have: like a socket's, printable and short.
    static func validate(_ name: String) throws(RPCError) {
        guard !name.isEmpty, name.utf8.count <= 256, name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw .invalidParams("consumer", "must be 1 to 256 printable characters")
        }
    }

    /// The positions of consumer `name`, which `caller` owns; a new name becomes `caller`'s,
    /// starting at `heads` (each covered socket's last `seq`: a new consumer begins with what
    /// comes next). Positions it lacks for a socket in `heads` start there too.
    func claim(_ name: String, caller: Caller, heads: [SocketKey: UInt64]) throws(RPCError) -> [String: UInt64] {
        try Self.validate(name)
        let claimed = self.state.withLockedValue { consumers -> Result<([String: UInt64], [(String, UInt64)], Bool), RPCError> in
            var consumer = consumers[name] ?? Consumer(uid: caller.uid, positions: [:])
            let new = consumers[name] == nil
            guard consumer.uid == caller.uid else { return .failure(.forbidden("consumer \(name) belongs to uid \(consumer.uid)")) }
            var added: [(String, UInt64)] = []
            for (key, head) in heads where consumer.positions[key.description] == nil {
                consumer.positions[key.description] = head
                added.append((key.description, head))
            }
            consumers[name] = consumer
            return .success((consumer.positions, added, new))
        }
        let (positions, added, new) = try claimed.get()
        if new || !added.isEmpty {
            let uid = Int64(caller.uid)
            self.store.write { db in
                if new { try db.execute(sql: "INSERT OR IGNORE INTO consumers(name, uid) VALUES (?, ?)", arguments: [name, uid]) }
                for (socket, seq) in added {
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO positions(consumer, socket, seq) VALUES (?, ?, ?)",
                        arguments: [name, socket, Int64(clamping: seq)]
                    )
                }
            }
        }
        return positions
    }

    /// `events.commit`: consumer `name` (owned by `caller`) has handled socket `key` up to
    /// `seq`; `done` once that is on disk.
    func commit(_ name: String, caller: Caller, key: SocketKey, seq: UInt64, done: @escaping @Sendable (Result<Void, RPCError>) -> Void) throws(RPCError) {
        try self.state.withLockedValue { consumers -> Result<Void, RPCError> in
            guard var consumer = consumers[name] else { return .failure(.noSuchConsumer(name)) }
            guard consumer.uid == caller.uid else { return .failure(.forbidden("consumer \(name) belongs to uid \(consumer.uid)")) }
            consumer.positions[key.description] = seq
            consumers[name] = consumer
            return .success(())
        }.get()
        let socket = key.description
        self.store.write({ db in
            try db.cachedStatement(
                sql: "INSERT INTO positions(consumer, socket, seq) VALUES (?, ?, ?) ON CONFLICT(consumer, socket) DO UPDATE SET seq = excluded.seq"
            ).execute(arguments: [name, socket, Int64(clamping: seq)])
        }, done: { result in done(result.mapError { .databaseError($0) }) })
    }

    /// The consumers `caller` may see (its own; every one for an admin), by name.
    func list(for caller: Caller) -> [(name: String, consumer: Consumer)] {
        self.state.withLockedValue { consumers in
            consumers.filter { caller.isAdmin || $0.value.uid == caller.uid }.map { ($0.key, $0.value) }.sorted { $0.name < $1.name }
        }
    }
}
