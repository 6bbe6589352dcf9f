#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import RPC
import SioClient
import SioJSON
import SioProtocol
import SiodShared

/// The RPC methods (docs/rpc.md § Methods).
///
/// All but `daemon.reload` run on the RPC connection's event loop as their line is read
/// (``RPCMethod/immediate(_:)``), so what a client asks takes effect in the order it asked: a
/// socket opened by one line exists for the next, and the emits of a pipeline reach the
/// Socket.IO connection, and the wire, in the order they were sent.
extension Daemon {
    func methods() -> [String: RPCMethod] {
        let registry = self.registry
        let subscriptions = self.subscriptions
        return [
            "socket.open": now { [self] params, context throws(RPCError) in
                var request = try SocketOpenRequest(params: params)
                let caller = registry.caller(context.peer)
                request.owner = caller.uid
                // siod would open the file with its own rights, not the client's.
                if let path = request.connection.tls?.paths.first, let uid = context.peer?.uid, uid != 0, uid != geteuid() {
                    throw .forbidden("\(path) as a file path is accepted only from root or siod's own user; pass the PEM contents")
                }
                if request.lifetime == .connection { self.watch(context.connection) }
                let named = try registry.open(
                    request, params: params ?? .null, origin: .client(context.connectionID), eventLoop: context.connection.eventLoop
                )
                // The owner left while the socket was being opened: its close hook found nothing.
                if request.lifetime == .connection, !context.connection.isOpen {
                    registry.closeOwned(by: context.connectionID)
                }
                return named.status(for: caller)
            },
            "socket.emit": later { params, context, reply throws(RPCError) in
                try Self.emit(params, context, registry, reply)
            },
            "socket.outbox": later { params, context, reply throws(RPCError) in
                try Self.outbox(params, context, registry, reply, remove: false)
            },
            "socket.outbox.remove": later { params, context, reply throws(RPCError) in
                try Self.outbox(params, context, registry, reply, remove: true)
            },
            "socket.ack": later { params, context, reply throws(RPCError) in
                let p = try RPCParams(params)
                try p.rejectUnknown(["socket", "ackId", "args"])
                let named = try registry.socket(p.string("socket"), peer: context.peer)
                guard let ackId = UInt64(exactly: try p.int("ackId")) else { throw .invalidParams("ackId", "must be at least 0") }
                let args = try Self.arguments(p)
                named.socket.ack(ackId, EventArguments(args)) { result in
                    reply.answer(result.map { [:] }.mapError { RPCError($0, socket: named.key.name, timeout: nil) })
                }
            },
            "socket.status": now { params, context throws(RPCError) in
                try Self.named(params, context, registry).status(for: registry.caller(context.peer))
            },
            "socket.list": now { params, context throws(RPCError) in
                try RPCParams(params).rejectUnknown([])
                let caller = registry.caller(context.peer)
                return ["sockets": .array(registry.all(for: caller).map { $0.status(for: caller) })]
            },
            "socket.connect": now { params, context throws(RPCError) in
                let named = try Self.named(params, context, registry)
                named.socket.connect()
                return named.status(for: registry.caller(context.peer))
            },
            "socket.disconnect": now { params, context throws(RPCError) in
                let named = try Self.named(params, context, registry)
                named.socket.disconnect()
                return named.status(for: registry.caller(context.peer))
            },
            "socket.close": now { params, context throws(RPCError) in
                try registry.close(Self.named(params, context, registry).key)
                return [:]
            },
            // Answered once the change is on disk (persistent sockets), written off the loop.
            "socket.setAuth": later { params, context, reply throws(RPCError) in
                let p = try RPCParams(params)
                try p.rejectUnknown(["socket", "auth"])
                let named = try registry.socket(p.string("socket"), peer: context.peer)
                let auth = try p.object("auth")
                registry.setAuth(named, auth: .object(auth)) { reply.answer($0.map { [:] }) }
            },
            "socket.setSession": later { params, context, reply throws(RPCError) in
                let p = try RPCParams(params)
                try p.rejectUnknown(["socket", "sessionId"])
                let named = try registry.socket(p.string("socket"), peer: context.peer)
                let given = try p.optionalString("sessionId")
                if let given, !SessionID.isValid(given) {
                    throw .invalidParams("sessionId", "must be 16 to 256 characters of A-Z a-z 0-9 - _")
                }
                registry.setSession(named, sessionId: given) { reply.answer($0.map { ["sessionId": .string($0)] }) }
            },
            "events.subscribe": now { [self] params, context throws(RPCError) in
                try self.subscribe(params, context)
            },
            "events.commit": later { [self] params, context, reply throws(RPCError) in
                try self.commit(params, context, reply)
            },
            "events.consumers": now { [self] params, context throws(RPCError) in
                try RPCParams(params).rejectUnknown([])
                return self.consumerList(for: registry.caller(context.peer))
            },
            "events.unsubscribe": now { params, context throws(RPCError) in
                let p = try RPCParams(params)
                try p.rejectUnknown(["subscription"])
                let id = try p.int("subscription")
                guard subscriptions.remove(id, connection: context.connection) else { throw .noSuchSubscription(id) }
                return [:]
            },
            "daemon.info": now { [self] params, context throws(RPCError) in
                try RPCParams(params).rejectUnknown([])
                return self.info(for: registry.caller(context.peer))
            },
            "daemon.ping": now { params, _ throws(RPCError) in
                try RPCParams(params).rejectUnknown([])
                return "pong"
            },
            "daemon.reload": .task { [self] params, context throws(RPCError) in
                try RPCParams(params).rejectUnknown([])
                guard registry.caller(context.peer).isAdmin else {
                    throw .forbidden("daemon.reload is for root, siod's own user and the configuration's admin")
                }
                return try self.reload()
            },
        ]
    }

    /// `socket.emit`: the message is handed to the socket's Manager before this returns (in
    /// request order); the reply comes when the Manager has sent or buffered it, or, with
    /// `ack`, when the server acknowledges it.
    private static func emit(_ params: JSON?, _ context: RPCRequestContext, _ registry: Registry, _ reply: RPCReply) throws(RPCError) {
        let p = try RPCParams(params)
        try p.rejectUnknown(["socket", "event", "args", "ack", "timeout", "volatile", "compress", "durable"])
        let named = try registry.socket(p.string("socket"), peer: context.peer)
        let event = try p.string("event")
        guard !EventName.reserved.contains(event) else { throw .reservedEvent(event) }
        let args = try Self.arguments(p)
        let timeout = try p.optionalInt("timeout", minimum: 0).map { Int64($0) }
        let compress = try p.optionalBool("compress") ?? true
        let ack = try p.optionalBool("ack") ?? false
        let volatile = try p.optionalBool("volatile") ?? false
        if ack && volatile { throw .invalidParams("volatile", "cannot be combined with ack") }

        if let outbox = named.outbox, try p.optionalBool("durable") ?? named.request.durable {
            // On disk before the answer; the server's ack comes as `socket.delivered`.
            if volatile { throw .invalidParams("volatile", "cannot be combined with durable") }
            if timeout != nil { throw .invalidParams("timeout", "a durable emit waits for its ack per the socket's ackTimeout and retries") }
            outbox.emit(event: event, args: args) { result in
                reply.answer(result.map { ["status": "queued", "outboxId": .number(JSONNumber(Int($0)))] })
            }
            return
        }

        let emit = PlainEmit(named: named, event: event, args: args, ack: ack, timeout: timeout, volatile: volatile, compress: compress)
        // Behind the socket's durable emits not yet on the wire, if it has any.
        guard let outbox = named.outbox, outbox.isInUse else { return emit.send(reply) }
        // Once a plain emit waiting behind durable ones is answered (buffered, or dropped if
        // volatile), its later send answers nothing.
        let answered = NIOLockedValueBox(false)
        outbox.plain({ emit.send(reply, unless: answered) }) {
            // With `ack`, the answer is the server's ack, whenever it comes.
            guard !ack else { return true }
            answered.withLockedValue { $0 = true }
            reply.succeed(volatile ? Self.dropped : Self.buffered)
            return !volatile
        }
    }

    /// A plain (not durable) `socket.emit`, sent now or once the outbox lets it.
    private struct PlainEmit: Sendable {
        let named: NamedSocket
        let event: String
        let args: [JSON]
        let ack: Bool
        let timeout: Int64?
        let volatile: Bool
        let compress: Bool

        /// Hands it to the socket; `reply` gets the status or the ack, unless `answered` says
        /// the client was answered already.
        func send(_ reply: RPCReply, unless answered: NIOLockedValueBox<Bool>? = nil) {
            let named = self.named
            guard self.ack else {
                named.socket.emit(self.event, EventArguments(self.args), volatile: self.volatile, compress: self.compress) { result in
                    if answered?.withLockedValue({ $0 }) == true { return }
                    switch result {
                    case .success(let status):
                        if status != .dropped { named.mutable.withLockedValue { $0.sent += 1 } }
                        reply.succeed(Daemon.emitResult(status))
                    case .failure(let error):
                        reply.fail(RPCError(error, socket: named.key.name, timeout: nil))
                    }
                }
                return
            }
            let timeout = self.timeout
            named.socket.emitWithAck(self.event, EventArguments(self.args), timeout: timeout.map { .milliseconds($0) }, compress: self.compress) { result in
                switch result {
                case .success(let arguments):
                    named.mutable.withLockedValue { $0.sent += 1 }
                    reply.answer(Result { () throws(RPCError) in ["args": try Daemon.values(arguments)] })
                case .failure(let error):
                    reply.fail(RPCError(error, socket: named.key.name, timeout: timeout ?? named.request.ackTimeout))
                }
            }
        }
    }

    /// `socket.outbox {socket}` and `socket.outbox.remove {socket, outboxIds}`.
    static func outbox(_ params: JSON?, _ context: RPCRequestContext, _ registry: Registry, _ reply: RPCReply, remove: Bool) throws(RPCError) {
        let p = try RPCParams(params)
        try p.rejectUnknown(remove ? ["socket", "outboxIds"] : ["socket"])
        let named = try registry.socket(p.string("socket"), peer: context.peer)
        guard let outbox = named.outbox else { throw .internalError("socket \(named.key.name) has no outbox") }
        guard remove else {
            outbox.list { reply.succeed($0) }
            return
        }
        var ids: Set<Int64> = []
        for (index, value) in try p.array("outboxIds").enumerated() {
            guard let id = value.intValue else { throw .invalidParams("outboxIds[\(index)]", "must be an outbox id") }
            ids.insert(Int64(id))
        }
        outbox.remove(ids) { result in
            reply.answer(result.map { ["removed": .array($0.map { .number(JSONNumber(Int($0))) })] })
        }
    }

    /// `socket.emit`'s results, built once.
    fileprivate static func emitResult(_ status: EmitStatus) -> JSON {
        switch status {
        case .sent: Self.sent
        case .buffered: Self.buffered
        case .dropped: Self.dropped
        }
    }
    private static let sent: JSON = ["status": .string(EmitStatus.sent.rawValue)]
    private static let buffered: JSON = ["status": .string(EmitStatus.buffered.rawValue)]
    private static let dropped: JSON = ["status": .string(EmitStatus.dropped.rawValue)]

    /// `args`: an optional array.
    private static func arguments(_ p: RPCParams) throws(RPCError) -> [JSON] {
        try p.optionalArray("args") ?? []
    }

    /// `daemon.info`: the counts are of what `caller` may see.
    private func info(for caller: Caller) -> JSON {
        let counts = self.registry.counts(for: caller)
        let limits = self.configuration.limits
        let commits = self.durable.commits.withLockedValue { $0 }
        func number(_ value: Int) -> JSON { .number(JSONNumber(value)) }
        return [
            "version": .string(SiodVersion.string),
            "pid": number(Int(getpid())),
            "socket": self.configuration.socketPath.map { .string($0) } ?? .null,
            "stateDirectory": .string(self.configuration.stateDirectory),
            "config": .string(self.configuration.configPath),
            "limits": [
                "maxLineLength": number(limits.maxLineLength),
                "maxPendingBytes": number(limits.maxPendingBytes),
                "maxBatchEntries": number(limits.maxBatchEntries),
                "idleTimeoutSeconds": number(Int(limits.idleTimeout?.components.seconds ?? 0)),
                "maxConcurrentRequestsPerClient": number(limits.maxConcurrentRequestsPerClient),
                "maxClients": number(limits.maxClients),
                "maxClientsPerUID": number(limits.maxClientsPerUID),
                "maxQueuedNotifications": number(limits.maxQueuedNotifications),
                "maxQueuedNotificationBytes": number(limits.maxQueuedNotificationBytes),
                "maxJournalBytes": number(self.configuration.maxJournalBytes),
            ],
            "counts": [
                "clients": number(self.clientCount),
                "sockets": number(counts.sockets),
                "connected": number(counts.connected),
                "managers": number(counts.managers),
                "subscriptions": number(self.subscriptions.count),
                "journals": number(self.registry.journals.counts.journals),
                "journalBytes": number(self.registry.journals.heldBytes),
            ],
            "database": [
                "path": .string(self.durable.path),
                "transactions": number(commits.transactions),
                "writes": number(commits.writes),
            ],
        ]
    }

    private static func named(_ params: JSON?, _ context: RPCRequestContext, _ registry: Registry) throws(RPCError) -> NamedSocket {
        let p = try RPCParams(params)
        try p.rejectUnknown(["socket"])
        return try registry.socket(p.string("socket"), peer: context.peer)
    }

    /// Ack arguments as a JSON array (binary as `{"$binary":…}` when written).
    fileprivate static func values(_ arguments: EventArguments) throws(RPCError) -> JSON {
        do { return .array(try arguments.values()) } catch {
            throw .internalError("the server's ack is not valid JSON: \(error)")
        }
    }
}

/// A method that starts on the connection's event loop, in line order, and answers through
/// `reply` when its work is done; a refusal thrown at the start is answered at once.
private func later(_ body: @escaping @Sendable (JSON?, RPCRequestContext, RPCReply) throws(RPCError) -> Void) -> RPCMethod {
    .immediate { params, context, reply in
        do throws(RPCError) {
            try body(params, context, reply)
        } catch {
            reply.fail(error)
        }
    }
}

/// A method that answers at once, on the connection's event loop.
private func now(_ body: @escaping @Sendable (JSON?, RPCRequestContext) throws(RPCError) -> JSON) -> RPCMethod {
    .immediate { params, context, reply in
        do throws(RPCError) {
            reply.succeed(try body(params, context))
        } catch {
            reply.fail(error)
        }
    }
}
