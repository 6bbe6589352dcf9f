import RPC
import SioJSON

// `events.subscribe` with its replay (`since`, `consumer`), `events.commit` and
// `events.consumers` (docs/rpc.md § Notifications, § The event journal, § Consumers).
extension Daemon {
    func subscribe(_ params: JSON?, _ context: RPCRequestContext) throws(RPCError) -> JSON {
        let p = try RPCParams(params)
        try p.rejectUnknown(["sockets", "events", "engine", "outgoing", "since", "consumer"])
        let sockets = try p.optionalStringSet("sockets")
        let events = try p.optionalStringSet("events")
        let engine = try p.optionalBool("engine") ?? false
        let outgoing = try p.optionalBool("outgoing") ?? false
        let consumer = try p.optionalString("consumer")
        let caller = self.registry.caller(context.peer)
        let covered = sockets.map { Set($0.flatMap { SocketKey.candidates($0, for: caller) }) }

        // Where each replayed socket starts: `since` first, then the consumer's position.
        var starts: [SocketKey: UInt64] = [:]
        if let since = try p.optionalObject("since") {
            for member in since {
                guard let seq = member.value.intValue, seq >= 0 else { throw .invalidParams("since.\(member.key)", "must be a seq (0 or more)") }
                let key = try self.registry.journalKey(member.key, for: caller)
                guard covered?.contains(key) ?? true else {
                    throw .invalidParams("since.\(member.key)", "names a socket the subscription does not cover")
                }
                starts[key] = UInt64(seq)
            }
        }
        if let consumer {
            // A new consumer (or one new to a socket) starts after the socket's last event.
            var heads: [SocketKey: UInt64] = [:]
            for named in self.registry.all(for: caller) where covered?.contains(named.key) ?? true {
                heads[named.key] = named.journal.lastSeq
            }
            for (socket, seq) in try self.consumers.claim(consumer, caller: caller, heads: heads) {
                let key = SocketKey(parsing: socket)
                guard covered?.contains(key) ?? true, starts[key] == nil else { continue }
                starts[key] = seq
            }
        }
        let replays = starts.map { key, seq in (self.registry.journalToReplay(key), seq) }

        if engine { self.registry.startReporting(engine: true) }
        if outgoing { self.registry.startReporting(engine: false) }
        let id = self.subscriptions.add(
            connection: context.connection, caller: caller, sockets: sockets, events: events, engine: engine, outgoing: outgoing,
            replaying: Set(replays.map(\.0.key))
        )
        // The response goes first, then the replays, then the live notifications.
        let subscriptions = self.subscriptions
        context.afterResponse {
            subscriptions.activate(id)
            for (journal, seq) in replays { subscriptions.replay(journal, after: seq, to: id) }
        }
        return ["subscription": .number(JSONNumber(id))]
    }

    func commit(_ params: JSON?, _ context: RPCRequestContext, _ reply: RPCReply) throws(RPCError) {
        let p = try RPCParams(params)
        try p.rejectUnknown(["consumer", "socket", "seq"])
        let consumer = try p.string("consumer")
        let caller = self.registry.caller(context.peer)
        let key = try self.registry.journalKey(p.string("socket"), for: caller)
        let seq = try p.int("seq")
        guard seq >= 0 else { throw .invalidParams("seq", "must be 0 or more") }
        try self.consumers.commit(consumer, caller: caller, key: key, seq: UInt64(seq)) { result in
            reply.answer(result.map { [:] })
        }
    }

    /// `events.consumers`: `{consumers: [{consumer, uid, sockets: [{socket, seq, lastSeq, behind}]}]}`.
    func consumerList(for caller: Caller) -> JSON {
        func number(_ value: UInt64) -> JSON { .number(JSONNumber(value)) }
        let list = self.consumers.list(for: caller).map { name, consumer -> JSON in
            let sockets = consumer.positions.sorted { $0.key < $1.key }.map { socket, seq -> JSON in
                let key = SocketKey(parsing: socket)
                let last = self.registry.journals.existing(key)?.lastSeq
                var entry: JSONObject = ["socket": .string(key.display(for: caller)), "seq": number(seq)]
                if let last {
                    entry["lastSeq"] = number(last)
                    entry["behind"] = number(last > seq ? last - seq : 0)
                }
                return .object(entry)
            }
            return ["consumer": .string(name), "uid": .number(JSONNumber(Int(consumer.uid))), "sockets": .array(sockets)]
        }
        return ["consumers": .array(list)]
    }
}
