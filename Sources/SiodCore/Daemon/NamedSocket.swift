import NIOConcurrencyHelpers
import SioClient
import SioJSON
import SioProtocol

/// A socket the daemon holds under a name: what `socket.open` asked for, the client socket
/// lent to it, and what changes while it lives (auth, session ID, counters).
final class NamedSocket: RegistryEntry, Sendable {
    /// Its owner and name.
    let key: SocketKey
    let request: SocketOpenRequest
    /// The `socket.open` params as given (saved for persistent sockets, shown in `daemon.info`).
    let params: JSON
    let managerID: SocketPlacement.ManagerID
    let manager: Manager
    let socket: Socket
    /// The RPC connection whose close closes it (`lifetime: "connection"`).
    let heldBy: Int?
    /// Declared in the configuration file (reload may change or close it).
    let fromConfig: Bool
    let mutable: NIOLockedValueBox<Mutable>
    /// Its name's event journal (kept by the registry beyond this socket's life).
    let journal: SocketJournal
    /// Its durable outbox (set right after it is made, before it connects).
    let outboxBox = NIOLockedValueBox<Outbox?>(nil)
    var outbox: Outbox? { self.outboxBox.withLockedValue { $0 } }

    struct Mutable: Sendable {
        var auth: JSON
        var sessionId: String
        var received: UInt64 = 0
        var sent: UInt64 = 0
        /// Events written to the transport (`socket.outgoing`'s `outSeq`), counted while
        /// somebody watches them.
        var outgoing: UInt64 = 0
        var connects: UInt64 = 0
        var disconnects: UInt64 = 0
        var lastError: String?
    }

    init(
        request: SocketOpenRequest, params: JSON, managerID: SocketPlacement.ManagerID, manager: Manager,
        socket: Socket, heldBy: Int?, fromConfig: Bool, auth: JSON, sessionId: String, journal: SocketJournal
    ) {
        self.journal = journal
        self.key = request.key
        self.request = request
        self.params = params
        self.managerID = managerID
        self.manager = manager
        self.socket = socket
        self.heldBy = heldBy
        self.fromConfig = fromConfig
        self.mutable = NIOLockedValueBox(Mutable(auth: auth, sessionId: sessionId))
    }

    /// The CONNECT payload: the auth object with the session ID merged under its key.
    var connectAuth: JSON {
        self.mutable.withLockedValue { Self.connectAuth(auth: $0.auth, sessionId: $0.sessionId, session: self.request.session) }
    }

    static func connectAuth(auth: JSON, sessionId: String, session: SocketOpenRequest.Session) -> JSON {
        guard case .key(let key) = session else { return auth }
        var object = auth.objectValue ?? [:]
        object[key] = .string(sessionId)
        return .object(object)
    }

    /// Whether `caller` may see and use it.
    func isVisible(to caller: Caller) -> Bool {
        caller.mayUse(owner: self.key.owner, access: self.request.access)
    }

    /// `socket.status`, the socket named as `caller` names it.
    func status(for caller: Caller) -> JSON {
        let mutable = self.mutable.withLockedValue { $0 }
        let socket = self.socket
        var object: JSONObject = [
            "socket": .string(self.key.display(for: caller)),
            "url": self.params.objectValue?["url"] ?? .null,
            "namespace": .string(self.request.namespace),
            "id": socket.id.map { .string($0) } ?? .null,
            "connected": .bool(socket.connected),
            "active": .bool(socket.active),
            "recovered": .bool(socket.recovered),
            "transport": socket.connected ? (self.manager.transport.map { .string($0.rawValue) } ?? .null) : .null,
            "sessionId": self.request.session == .off ? .null : .string(mutable.sessionId),
            "lifetime": .string(self.request.lifetime.rawValue),
            "manager": .number(JSONNumber(self.managerID.rawValue)),
            "counters": [
                "received": .number(JSONNumber(mutable.received)),
                "sent": .number(JSONNumber(mutable.sent)),
                "connects": .number(JSONNumber(mutable.connects)),
                "disconnects": .number(JSONNumber(mutable.disconnects)),
            ],
        ]
        if let error = mutable.lastError { object["lastError"] = .string(error) }
        return .object(object)
    }
}
