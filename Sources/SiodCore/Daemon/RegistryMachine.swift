import NIOCore
import RPC
import SioJSON
import SioProtocol

/// A named socket as ``RegistryMachine`` sees it (``NamedSocket`` in the daemon, a plain
/// value in the tests).
protocol RegistryEntry {
    var key: SocketKey { get }
    var request: SocketOpenRequest { get }
    var params: JSON { get }
    var managerID: SocketPlacement.ManagerID { get }
    /// The RPC connection whose close closes it (`lifetime: "connection"`).
    var heldBy: Int? { get }
    var fromConfig: Bool { get }
}

extension RegistryEntry {
    var isPersistent: Bool { self.request.lifetime == .persistent }
}

/// Where an open comes from.
enum OpenOrigin: Sendable, Equatable {
    /// `socket.open` from RPC connection `id`.
    case client(Int)
    /// The configuration file.
    case config
    /// The state store (a persistent socket of an earlier run).
    case restored

    var isConfig: Bool { self == .config }
}

/// The registry's bookkeeping as a value, in the manner of async-http-client's connection
/// pool state machine: which named sockets exist, which Manager each one shares
/// (``SocketPlacement``) on which event loop (``LoopPlacement``), the state saved for them
/// and its generation. Each input returns what the caller must do (create a Manager, close a
/// socket, shut a Manager down, save now or soon); nothing here touches a Manager, a lock or
/// the disk, so its rules are tested as transcripts with stand-ins (RegistryMachineTests).
/// ``Registry`` holds one behind a lock and carries out its answers.
struct RegistryMachine<Named: RegistryEntry, ManagerRef> {
    private(set) var sockets: [SocketKey: Named] = [:]
    private(set) var managers: [SocketPlacement.ManagerID: ManagerRef] = [:]
    private var placement = SocketPlacement()
    private var loops: LoopPlacement
    private var managerLoops: [SocketPlacement.ManagerID: any EventLoop] = [:]
    /// What is saved across restarts, and its generation (bumped on every change).
    private(set) var saved: DaemonState
    private(set) var generation = 0
    private(set) var config = ConfigFile()
    private(set) var closing = false
    /// Set once a client subscribed with `engine: true` (Managers report their packets) or
    /// `outgoing: true` (Managers report the events they write); both stay on.
    private(set) var reportsEnginePackets = false
    private(set) var reportsOutgoing = false

    init(saved: DaemonState, loops: [any EventLoop]) {
        self.saved = saved
        self.loops = LoopPlacement(loops: loops)
    }

    /// When the saved state must reach the disk.
    enum Save: Equatable {
        case none
        /// Before the call that changed it is answered (a persistent socket's record).
        case now
        /// Within a moment, once for many changes (a new name's session ID, a recovery offset).
        case soon
    }

    // MARK: - Opening

    /// What to do for a `socket.open`.
    enum OpenDecision {
        /// The same socket is open already: answer with its status.
        case existing(Named)
        /// Open it as the plan says, then report ``opened(_:plan:)`` or ``openFailed(_:)``.
        case open(OpenPlan)
    }

    struct OpenPlan {
        let key: SocketKey
        let managerID: SocketPlacement.ManagerID
        /// Set when the socket needs a new Manager: create it on this loop and report it with
        /// ``managerCreated(_:plan:)``.
        let newManagerLoop: (any EventLoop)?
        let record: SocketRecord
        let auth: JSON
        let heldBy: Int?
        /// The socket's CONNECT payload: `auth` with the session ID under its key.
        let connectAuth: JSON
        /// A persistent socket's recovery state of an earlier connection.
        let recovery: SocketRecord.Recovery?
    }

    mutating func open(
        _ request: SocketOpenRequest, params: JSON, origin: OpenOrigin, preferring loop: (any EventLoop)?
    ) throws(RPCError) -> OpenDecision {
        guard !self.closing else { throw .shuttingDown }
        let key = request.key
        if let existing = self.sockets[key] {
            if existing.fromConfig, case .client = origin {
                throw .socketExists(request.name, "in the configuration file")
            }
            guard existing.request == request else { throw .socketExists(request.name, "with other options") }
            return .existing(existing)
        }
        let placed: SocketPlacement.Outcome
        do {
            placed = try self.placement.place(
                name: key.description, namespace: request.namespace, connection: request.connection, owner: request.owner,
                forceNew: request.forceNew
            )
        } catch {
            throw .socketExists(request.name, "already")
        }
        var newLoop: (any EventLoop)?
        if case .created(let id) = placed {
            let chosen = self.loops.place(preferring: loop)
            self.managerLoops[id] = chosen
            newLoop = chosen
        }
        let persistent = request.lifetime == .persistent
        let record = RegistryRules.recordOnOpen(
            self.saved.sockets[key.description] ?? SocketRecord(sessionId: SessionID.generate()),
            params: params, persistent: persistent, fromConfig: origin.isConfig
        )
        let auth = (persistent ? record.auth : nil) ?? request.auth
        let heldBy: Int? = if case .client(let id) = origin, request.lifetime == .connection { id } else { nil }
        return .open(
            OpenPlan(
                key: key, managerID: placed.manager, newManagerLoop: newLoop, record: record, auth: auth,
                heldBy: heldBy, connectAuth: NamedSocket.connectAuth(auth: auth, sessionId: record.sessionId, session: request.session),
                recovery: persistent ? record.recovery : nil
            )
        )
    }

    /// The Manager a plan asked for exists.
    mutating func managerCreated(_ manager: ManagerRef, plan: OpenPlan) {
        self.managers[plan.managerID] = manager
    }

    /// The Manager of a plan (created now or shared).
    func manager(for plan: OpenPlan) -> ManagerRef? { self.managers[plan.managerID] }

    /// The socket of `plan` is open.
    mutating func opened(_ named: Named, plan: OpenPlan) -> Save {
        self.sockets[named.key] = named
        if self.saved.sockets[named.key.description] != plan.record {
            self.saved.sockets[named.key.description] = plan.record
            self.generation += 1
        }
        return named.isPersistent ? .now : .soon
    }

    /// The Manager or the socket of `plan` could not be created: the name is free again, and
    /// a Manager left without sockets is returned to be shut down.
    mutating func openFailed(_ plan: OpenPlan) -> ManagerRef? {
        self.removePlacement(of: plan.key)
    }

    // MARK: - Closing

    struct Closed {
        let named: Named
        /// The Manager the socket leaves empty: shut it down.
        let emptied: ManagerRef?
        let save: Save
    }

    /// Forgets socket `key` (a persistent one is not reopened; its session ID stays).
    mutating func close(_ key: SocketKey) -> Closed? {
        guard let named = self.sockets.removeValue(forKey: key) else { return nil }
        let emptied = self.removePlacement(of: key)
        let name = key.description
        // Only a persistent socket's record changes: saving on every close made closing
        // 10,000 sockets write the whole state 10,000 times, minutes of CPU.
        guard named.isPersistent, let record = self.saved.sockets[name] else { return Closed(named: named, emptied: emptied, save: .none) }
        self.saved.sockets[name] = RegistryRules.recordOnClose(record)
        self.generation += 1
        return Closed(named: named, emptied: emptied, save: .now)
    }

    private mutating func removePlacement(of key: SocketKey) -> ManagerRef? {
        guard let (id, isEmpty) = self.placement.remove(name: key.description), isEmpty else { return nil }
        if let loop = self.managerLoops.removeValue(forKey: id) { self.loops.release(loop) }
        return self.managers.removeValue(forKey: id)
    }

    /// The `lifetime: "connection"` sockets of RPC connection `id`.
    func held(by id: Int) -> [SocketKey] {
        self.sockets.values.filter { $0.heldBy == id }.map(\.key).sorted { $0.description < $1.description }
    }

    // MARK: - Changing a socket

    /// A persistent socket's auth changed.
    mutating func authSet(_ auth: JSON, of named: Named) -> Save {
        guard named.isPersistent else { return .none }
        self.saved.sockets[named.key.description]?.auth = auth
        self.generation += 1
        return .now
    }

    /// A socket's session ID changed.
    mutating func sessionSet(_ sessionId: String, of key: SocketKey) -> Save {
        self.saved.sockets[key.description, default: SocketRecord(sessionId: sessionId)].sessionId = sessionId
        self.generation += 1
        return .now
    }

    /// A persistent socket connected or disconnected: its recovery state (nil when it has
    /// none) is saved with its record.
    mutating func recoveryChanged(_ recovery: SocketRecord.Recovery?, of key: SocketKey) -> Save {
        let name = key.description
        guard let recovery, var record = self.saved.sockets[name], record.open != nil, record.recovery != recovery else { return .none }
        record.recovery = recovery
        self.saved.sockets[name] = record
        self.generation += 1
        return .soon
    }

    /// The Managers to turn on in the given way: every one the first time (later Managers
    /// start with it on), none after.
    mutating func startReporting(engine: Bool) -> [ManagerRef] {
        if engine {
            guard !self.reportsEnginePackets else { return [] }
            self.reportsEnginePackets = true
        } else {
            guard !self.reportsOutgoing else { return [] }
            self.reportsOutgoing = true
        }
        return self.managers.keys.sorted { $0.rawValue < $1.rawValue }.compactMap { self.managers[$0] }
    }

    /// The sockets sharing Manager `id` (a Manager's events go to each).
    func sockets(on id: SocketPlacement.ManagerID) -> [Named] {
        self.placement.sockets(on: id).compactMap { self.sockets[SocketKey(parsing: $0)] }
    }

    // MARK: - Configuration and restore

    /// What applying `config` does (refused as a whole, or done in the plan's order).
    func reloadPlan(to config: ConfigFile) throws(RPCError) -> RegistryRules.ReloadPlan {
        // The file declares siod's own sockets only.
        var open: [String: RegistryRules.OpenSocket] = [:]
        for (key, named) in self.sockets where key.owner == SocketKey.daemonOwner {
            open[key.name] = RegistryRules.OpenSocket(fromConfig: named.fromConfig, params: named.params)
        }
        return try RegistryRules.reload(from: self.config, to: config, open: open)
    }

    mutating func configApplied(_ config: ConfigFile) { self.config = config }

    /// At start, after the configuration: the persistent sockets of an earlier run to reopen,
    /// with their owners.
    mutating func restore() -> [(key: SocketKey, params: JSON)] {
        let (changed, reopen) = RegistryRules.restore(&self.saved, config: self.config)
        if changed { self.generation += 1 }
        return reopen.map { (SocketKey(parsing: $0.name), $0.params) }
    }

    // MARK: - Shutdown

    struct Shutdown {
        /// Persistent sockets: save their recovery state before the Managers close.
        var persistent: [Named]
        /// Every Manager, with the namespaces whose sessions it keeps (its persistent sockets
        /// leave without DISCONNECT, so a server with connection state recovery keeps them).
        var managers: [(manager: ManagerRef, keeping: Set<String>)]
    }

    /// Refuses new sockets from now on.
    mutating func shutdown() -> Shutdown {
        self.closing = true
        let persistent = self.sockets.values.filter(\.isPersistent).sorted { $0.key.description < $1.key.description }
        let managers = self.managers.keys.sorted { $0.rawValue < $1.rawValue }.compactMap { id in
            self.managers[id].map { ($0, Set(persistent.filter { $0.managerID == id }.map(\.request.namespace))) }
        }
        return Shutdown(persistent: persistent, managers: managers)
    }
}

extension RegistryMachine: Sendable where Named: Sendable, ManagerRef: Sendable {}
