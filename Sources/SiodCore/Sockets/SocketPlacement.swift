/// Which Manager (Engine.IO connection) each named socket uses: the multiplexing rule of
/// docs/rpc.md § `socket.open`, the reference's `io()` (socket.io-client lib/index.ts `lookup`).
///
/// A socket joins the first Manager, in creation order, with equal ``ConnectionOptions`` on
/// which its namespace has never been used; otherwise a new Manager is made. A namespace stays
/// taken on its Manager after its socket goes, as in `io()` (its `sameNamespace`): packets name
/// only their namespace, so an event the server sent the closed socket, still on its way,
/// would reach the socket that took its place (the soak caught one). `forceNew` (or
/// `multiplex: false`) always makes a new Manager,
/// and that Manager is private: later sockets never join it, as `io()` never caches it. A
/// Manager (its connection, its cookies) is never shared between owners.
public struct SocketPlacement: Sendable {
    /// A Manager of the daemon.
    public struct ManagerID: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int
        public var description: String { "manager#\(self.rawValue)" }
    }

    /// Where a socket went.
    public enum Outcome: Sendable, Hashable {
        /// It shares an existing Manager.
        case joined(ManagerID)
        /// A new Manager was made for it.
        case created(ManagerID)

        public var manager: ManagerID {
            switch self {
            case .joined(let id), .created(let id): id
            }
        }
    }

    private struct ManagerEntry: Sendable {
        var options: ConnectionOptions
        var owner: UInt32
        /// The namespaces of its sockets.
        var namespaces: Set<String>
        /// Every namespace a socket has had on it: none is taken again.
        var used: Set<String>
        var isPrivate: Bool
    }

    private var managers: [ManagerID: ManagerEntry] = [:]
    private var order: [ManagerID] = []
    private var sockets: [String: (manager: ManagerID, namespace: String)] = [:]
    private var nextID = 1

    public init() {}

    /// The Manager of socket `name`.
    public func manager(of name: String) -> ManagerID? { self.sockets[name]?.manager }

    /// The sockets on `manager`, by name.
    public func sockets(on manager: ManagerID) -> [String] {
        self.sockets.filter { $0.value.manager == manager }.map(\.key).sorted()
    }

    /// Registers socket `name`; a name already registered is refused.
    public mutating func place(
        name: String, namespace: String, connection: ConnectionOptions, owner: UInt32 = 0, forceNew: Bool
    ) throws(PlacementError) -> Outcome {
        guard self.sockets[name] == nil else { throw .nameInUse(name) }
        if !forceNew {
            for id in self.order {
                guard var entry = self.managers[id], !entry.isPrivate, entry.options == connection, entry.owner == owner,
                      !entry.used.contains(namespace)
                else { continue }
                entry.namespaces.insert(namespace)
                entry.used.insert(namespace)
                self.managers[id] = entry
                self.sockets[name] = (id, namespace)
                return .joined(id)
            }
        }
        let id = ManagerID(rawValue: self.nextID)
        self.nextID += 1
        self.managers[id] = ManagerEntry(options: connection, owner: owner, namespaces: [namespace], used: [namespace], isPrivate: forceNew)
        self.order.append(id)
        self.sockets[name] = (id, namespace)
        return .created(id)
    }

    /// Unregisters socket `name` (its namespace is not taken again on its Manager); says whether
    /// its Manager is now empty (and forgotten: the daemon shuts it down).
    public mutating func remove(name: String) -> (manager: ManagerID, managerIsEmpty: Bool)? {
        guard let (id, namespace) = self.sockets.removeValue(forKey: name), var entry = self.managers[id] else { return nil }
        entry.namespaces.remove(namespace)
        if entry.namespaces.isEmpty {
            self.managers[id] = nil
            self.order.removeAll { $0 == id }
            return (id, true)
        }
        self.managers[id] = entry
        return (id, false)
    }
}

/// Why a socket could not be registered.
public enum PlacementError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A socket with this name exists.
    case nameInUse(String)

    public var description: String {
        switch self {
        case .nameInUse(let name): "a socket named \(name) exists"
        }
    }
}
