import Logging
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import RPC
import SioClient
import SioJSON
import SioProtocol
import Systemd

/// The daemon's named sockets, the Managers they share (``SocketPlacement``), and the state
/// saved for them. Every method may be called from any thread; none waits for the network or
/// the disk: state files are written (and fsynced) on NIO's thread pool, never on an event loop
/// or the cooperative pool.
final class Registry: Sendable {
    typealias Machine = RegistryMachine<NamedSocket, Manager>
    /// The bookkeeping (its rules are ``RegistryMachine``'s). Managers are created and sockets
    /// added under this lock, so that two opens of one name, or a close and an open of one
    /// namespace, reach the Manager in the order the machine decided them.
    let machine: NIOLockedValueBox<Machine>
    private let store: StateStore
    /// The generation last written to the store (writes happen outside the machine's lock).
    private let written = NIOLockedValueBox(0)
    let subscriptions: Subscriptions
    /// Every socket name's event journal and `seq` counter.
    let journals: Journals
    /// The database of outboxes and consumers.
    let durable: DurableStore
    /// Called when what `STATUS=` shows may have changed (sockets, connections, last error).
    ///
    /// The closure sits in a struct: a box holding a bare function type re-abstracts it in
    /// place on every `withLockedValue`, wrapping it in two more thunks each time, so that the
    /// ten-thousandth call ran through twenty thousand of them (10,000 sockets connected at
    /// 1,235/s instead of 5,667/s).
    let onChange = NIOLockedValueBox<ChangeObserver?>(nil)
    /// The last connection problem, `socket: reason`, for `STATUS=`.
    let lastError = NIOLockedValueBox<String?>(nil)
    let logger: Logger

    init(store: StateStore, saved: DaemonState, subscriptions: Subscriptions, journals: Journals, durable: DurableStore, logger: Logger) {
        self.store = store
        self.journals = journals
        self.durable = durable
        self.machine = NIOLockedValueBox(Machine(saved: saved, loops: Array(MultiThreadedEventLoopGroup.singleton.makeIterator())))
        self.subscriptions = subscriptions
        self.logger = logger
    }

    // MARK: - Lookups

    private static func find(_ given: String, for caller: Caller, in machine: Machine) -> NamedSocket? {
        for key in SocketKey.candidates(given, for: caller) {
            if let named = machine.sockets[key], named.isVisible(to: caller) { return named }
        }
        return nil
    }

    /// The socket `given` names for the client `peer` (``SocketKey/candidates(_:for:)``), in
    /// one look at the registry. A socket the client may not use is, to it, no socket at all.
    func socket(_ given: String, peer: PeerCredentials?) throws(RPCError) -> NamedSocket {
        let found = self.machine.withLockedValue { machine -> NamedSocket? in
            // The common case, on every emit: the caller's own socket, which it may always use.
            if !given.hasPrefix("~"), let own = machine.sockets[SocketKey(owner: peer?.uid ?? SocketKey.daemonOwner, name: given)] {
                return own
            }
            return Self.find(given, for: Caller(peer, admins: machine.config.admin), in: machine)
        }
        guard let found else { throw .noSuchSocket(given) }
        return found
    }

    /// The socket name `given` means for `caller` in the journal's and consumers' methods:
    /// an open socket it may use, else one of its candidates it owns (or any, for an admin)
    /// that has a journal, else its own name. Its events may outlive the socket.
    func journalKey(_ given: String, for caller: Caller) throws(RPCError) -> SocketKey {
        let candidates = SocketKey.candidates(given, for: caller)
        let open = self.machine.withLockedValue { machine in Self.find(given, for: caller, in: machine) }
        if let open { return open.key }
        let allowed = candidates.filter { caller.mayUse(owner: $0.owner, access: AccessList()) }
        if let known = allowed.first(where: { self.journals.knows($0) }) { return known }
        guard let first = allowed.first else { throw .noSuchSocket(given) }
        return first
    }

    /// The journal of `key` to replay: made now for a name not open since the start (so that
    /// what a restart lost is reported as a gap), a closed one if no socket has it open.
    func journalToReplay(_ key: SocketKey) -> SocketJournal {
        self.machine.withLockedValue { machine in
            let journal = self.journals.journal(for: key, limits: nil)
            if machine.sockets[key] == nil { self.journals.closed(key) }
            return journal
        }
    }

    /// The client `peer` as the access rules see it (the configuration in force names the
    /// admins).
    func caller(_ peer: PeerCredentials?) -> Caller {
        Caller(peer, admins: self.machine.withLockedValue { $0.config.admin })
    }

    /// The sockets `caller` may see, in key order.
    func all(for caller: Caller) -> [NamedSocket] {
        self.machine.withLockedValue { $0.sockets.values.filter { $0.isVisible(to: caller) } }
            .sorted { $0.key.description < $1.key.description }
    }

    /// What `caller` may see: its sockets, how many are connected, and their Managers.
    func counts(for caller: Caller) -> (sockets: Int, connected: Int, managers: Int) {
        let sockets = self.all(for: caller)
        return (sockets.count, sockets.count { $0.socket.connected }, Set(sockets.map(\.managerID)).count)
    }


    // MARK: - Opening and closing

    /// Opens socket `request.key` (its owner set by the caller), or returns the one already
    /// open with the same options. A new Manager lives on `eventLoop` when given (the loop of the RPC
    /// connection that opened it, so that its emits and their answers need no hop between
    /// threads when that client uses it), unless ``LoopPlacement`` spreads it elsewhere.
    @discardableResult
    func open(_ request: SocketOpenRequest, params: JSON, origin: OpenOrigin, eventLoop: (any EventLoop)? = nil) throws(RPCError) -> NamedSocket {
        let options = try request.connection.managerOptions()
        let opened = self.machine.withLockedValue { machine -> Result<(NamedSocket, Machine.Save?), RPCError> in
            let plan: Machine.OpenPlan
            do throws(RPCError) {
                switch try machine.open(request, params: params, origin: origin, preferring: eventLoop) {
                case .existing(let named): return .success((named, nil))
                case .open(let planned): plan = planned
                }
            } catch {
                return .failure(error)
            }
            do throws(ClientError) {
                if let loop = plan.newManagerLoop {
                    let forwarder = ManagerEventForwarder(registry: self, id: plan.managerID)
                    let manager = try Manager(
                        url: request.connection.url, options: options, eventLoop: loop, logger: self.logger,
                        eventHandler: { forwarder.forward($0) }
                    )
                    manager.reportsEnginePackets = machine.reportsEnginePackets
                    if machine.reportsOutgoing { manager.reportOutgoingEvents(true) }
                    machine.managerCreated(manager, plan: plan)
                }
                guard let manager = machine.manager(for: plan) else { return .failure(.internalError("manager lost")) }
                var socketOptions = request.socketOptions
                socketOptions.auth = .value(plan.connectAuth)
                let forwarder = SocketEventForwarder(registry: self)
                // A disk journal holds the offset of the newest event delivered: newer than the
                // state file's.
                var recovery = plan.recovery
                if request.diskJournal != nil, request.lifetime == .persistent,
                   let newest = DiskJournal.newestRecovery(of: request.key, in: self.durable)
                {
                    recovery = newest
                }
                let socket = try manager.socket(
                    request.namespace, options: socketOptions, recovery: recovery, eventHandler: { forwarder.forward($0) }
                )
                let named = NamedSocket(
                    request: request, params: params, managerID: plan.managerID, manager: manager,
                    socket: socket, heldBy: plan.heldBy, fromConfig: origin.isConfig, auth: plan.auth, sessionId: plan.record.sessionId,
                    journal: self.journals.journal(for: request.key, limits: request.journal, disk: request.diskJournal)
                )
                named.outboxBox.withLockedValue { $0 = self.makeOutbox(for: named, on: manager.eventLoop) }
                named.journal.loop.withLockedValue { $0 = manager.eventLoop }
                self.journals.opened(request.key)
                forwarder.named.withLockedValue { $0 = named }
                return .success((named, machine.opened(named, plan: plan)))
            } catch {
                let field = machine.manager(for: plan) == nil ? "url" : "namespace"
                machine.openFailed(plan)?.shutdown()
                return .failure(.invalidParams(field, error.description))
            }
        }
        let (named, save) = try opened.get()
        guard let save else { return named }
        self.logger.info(
            "socket opened",
            metadata: [
                "socket": "\(named.key)", "url": "\(redactedURL(named.request.connection.url))",
                "namespace": "\(named.request.namespace)", "lifetime": "\(named.request.lifetime.rawValue)",
            ]
        )
        if request.autoConnect { named.socket.connect() }
        // A persistent socket is on disk before the call returns; a new name's session ID
        // may wait a moment, so that opening thousands of sockets writes the file a few times,
        // not thousands (a clean stop saves it anyway).
        self.save(save)
        self.changed()
        return named
    }

    /// Disconnects socket `key` and forgets it (a persistent one is not reopened); its session
    /// ID stays, so a socket opened later by the same owner under the same name has it too.
    func close(_ key: SocketKey) throws(RPCError) {
        let closed = self.machine.withLockedValue { machine -> Machine.Closed? in
            guard let closed = machine.close(key) else { return nil }
            // Under the lock (both only queue an input): a socket opened next on the freed
            // namespace must reach the Manager after this one has left it.
            closed.named.socket.close()
            closed.emptied?.shutdown()
            return closed
        }
        guard let closed else { throw .noSuchSocket(key.name) }
        closed.named.outbox?.close()
        // After the socket's last events (queued on its loop before this), unless the name
        // is open again by then.
        closed.named.manager.eventLoop.execute { [weak self] in
            guard let self else { return }
            self.machine.withLockedValue { machine in
                if machine.sockets[key] == nil { self.journals.closed(key) }
            }
        }
        self.logger.info("socket closed", metadata: ["socket": "\(key)"])
        self.save(closed.save)
        self.changed()
    }

    /// Closes the `lifetime: "connection"` sockets of RPC connection `id`.
    func closeOwned(by id: Int) {
        for key in self.machine.withLockedValue({ $0.held(by: id) }) { try? self.close(key) }
    }

    // MARK: - Changing a socket

    /// Sets the socket's auth; `saved` is called once it is on disk (for a persistent
    /// socket), or at once.
    func setAuth(_ named: NamedSocket, auth: JSON, saved: @escaping @Sendable (Result<Void, RPCError>) -> Void) {
        named.mutable.withLockedValue { $0.auth = auth }
        named.socket.setAuth(named.connectAuth)
        guard self.machine.withLockedValue({ $0.authSet(auth, of: named) }) == .now else { return saved(.success(())) }
        self.saveInBackground(saved)
    }

    /// Stores `sessionId` (or a new random one) as the socket's session ID; `saved` gets it
    /// once it is on disk.
    func setSession(_ named: NamedSocket, sessionId: String?, saved: @escaping @Sendable (Result<String, RPCError>) -> Void) {
        let value = sessionId ?? SessionID.generate()
        named.mutable.withLockedValue { $0.sessionId = value }
        named.socket.setAuth(named.connectAuth)
        _ = self.machine.withLockedValue { $0.sessionSet(value, of: named.key) }
        self.saveInBackground { saved($0.map { value }) }
    }

    /// Turns on Engine.IO packet reports (`engine: true`) or reports of written events
    /// (`outgoing: true`) on every Manager, now and later: the first subscription that asks
    /// turns them on, and they stay on, filtered at the subscriptions.
    func startReporting(engine: Bool) {
        for manager in self.machine.withLockedValue({ $0.startReporting(engine: engine) }) {
            if engine { manager.reportsEnginePackets = true } else { manager.reportOutgoingEvents(true) }
        }
    }

    // MARK: - Configuration

    /// What a reload changed.
    struct ReloadOutcome: Sendable {
        var opened: [String] = []
        var reopened: [String] = []
        var closed: [String] = []
        var unchanged: [String] = []
    }

    /// Applies `config`: opens new sockets, reopens changed ones, closes removed ones, leaves
    /// the others connected. Checked first, so a refused configuration changes nothing.
    func apply(_ config: ConfigFile) throws(RPCError) -> ReloadOutcome {
        let plan = try self.machine.withLockedValue { machine in Result { () throws(RPCError) in try machine.reloadPlan(to: config) } }.get()
        // TLS files are read now, so that one the file names and siod cannot read refuses it.
        for name in plan.reopen + plan.open {
            do { _ = try config.sockets[name]?.connection.managerOptions() } catch {
                throw .invalidConfig(ConfigError(path: "", socket: name, error))
            }
        }
        var outcome = ReloadOutcome(unchanged: plan.unchanged)
        for name in plan.close where (try? self.close(SocketKey(owner: SocketKey.daemonOwner, name: name))) != nil {
            outcome.closed.append(name)
        }
        for name in plan.reopen {
            guard let request = config.sockets[name] else { continue }
            try? self.close(request.key)
            try self.open(request, params: config.params[name] ?? .null, origin: .config)
            outcome.reopened.append(name)
        }
        for name in plan.open {
            guard let request = config.sockets[name] else { continue }
            try self.open(request, params: config.params[name] ?? .null, origin: .config)
            outcome.opened.append(name)
        }
        self.machine.withLockedValue { $0.configApplied(config) }
        return outcome
    }

    /// Reopens the persistent sockets of an earlier run (those the configuration does not
    /// declare); a record that no longer parses is logged and kept.
    func restorePersistent() {
        for (key, params) in self.machine.withLockedValue({ $0.restore() }) {
            do {
                var request = try SocketOpenRequest(params: params)
                request.owner = key.owner
                try self.open(request, params: params, origin: .restored)
            } catch {
                self.logger.error("cannot reopen a persistent socket", metadata: ["socket": "\(key)", "reason": "\(error)"])
            }
        }
    }

    // MARK: - Shutdown

    /// Refuses new sockets, saves the recovery state of persistent sockets, and shuts every
    /// Manager down (their `run()` returns within about a second): sockets with lifetime
    /// `daemon` or `connection` send DISCONNECT, persistent ones just close the transport.
    @discardableResult
    func shutdown() -> [EventLoopFuture<Void>] {
        let shutdown = self.machine.withLockedValue { $0.shutdown() }
        self.machine.withLockedValue { machine in
            for named in shutdown.persistent { _ = machine.recoveryChanged(named.socket.recovery, of: named.key) }
        }
        self.saveQuietly()
        for (manager, keeping) in shutdown.managers { manager.shutdown(keepingSessionsOf: keeping) }
        return shutdown.managers.map(\.manager.shutdownFuture)
    }

    // MARK: - State

    func changed() {
        self.onChange.withLockedValue { $0 }?.body()
    }

    /// Writes the state if it changed since the last write.
    func save() throws(RPCError) {
        let (snapshot, generation) = self.machine.withLockedValue { ($0.saved, $0.generation) }
        let result: Result<Void, StateError> = self.written.withLockedValue { written in
            guard generation > written else { return .success(()) }
            do throws(StateError) {
                try self.store.save(snapshot)
                written = generation
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        if case .failure(let error) = result { throw .stateError(error) }
    }

    /// Carries out a machine's ``RegistryMachine/Save``.
    func save(_ save: Machine.Save) {
        switch save {
        case .none: break
        case .now: self.saveQuietly()
        case .soon: self.saveSoon()
        }
    }

    private let saveScheduled = NIOLockedValueBox(false)

    /// Saves within about 100 ms, once for all the changes made meanwhile.
    private func saveSoon() {
        let schedule = self.saveScheduled.withLockedValue { scheduled in
            defer { scheduled = true }
            return !scheduled
        }
        guard schedule else { return }
        MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .milliseconds(100)) {
            NIOThreadPool.singleton.submit { _ in
                self.saveScheduled.withLockedValue { $0 = false }
                self.saveQuietly()
            }
        }
    }

    /// Writes the state on NIO's thread pool (a write and two fsyncs must not hold an event
    /// loop), then calls `done` with the outcome.
    private func saveInBackground(_ done: @escaping @Sendable (Result<Void, RPCError>) -> Void) {
        NIOThreadPool.singleton.submit { _ in
            do throws(RPCError) {
                try self.save()
                done(.success(()))
            } catch {
                done(.failure(error))
            }
        }
    }

    private func saveQuietly() {
        do { try self.save() } catch {
            self.logger.error("cannot save state", metadata: ["reason": "\(error.message)"])
        }
    }
}

/// What ``Registry/onChange`` calls.
struct ChangeObserver: Sendable {
    let body: @Sendable () -> Void
}
