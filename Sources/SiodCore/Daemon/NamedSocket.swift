import NIOConcurrencyHelpers
import SioClient
import SioJSON
import SioProtocol

/// A socket the daemon holds under a name: what `socket.open` asked for, the client socket
/// lent to it, and what changes while it lives (auth, session ID, counters).
final class NamedSocket: RegistryEntry, Sendable {
    let name: String
    let request: SocketOpenRequest
    /// The `socket.open` params as given (saved for persistent sockets, shown in `daemon.info`).
    let params: JSON
    let managerID: SocketPlacement.ManagerID
    let manager: Manager
    let socket: Socket
    /// The RPC connection whose close closes it (`lifetime: "connection"`).
    let owner: Int?
    /// Declared in the configuration file (reload may change or close it).
    let fromConfig: Bool
    let mutable: NIOLockedValueBox<Mutable>

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
        name: String, request: SocketOpenRequest, params: JSON, managerID: SocketPlacement.ManagerID, manager: Manager,
        socket: Socket, owner: Int?, fromConfig: Bool, auth: JSON, sessionId: String
    ) {
        self.name = name
        self.request = request
        self.params = params
        self.managerID = managerID
        self.manager = manager
        self.socket = socket
        self.owner = owner
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

    /// `socket.status`.
    var status: JSON {
        let mutable = self.mutable.withLockedValue { $0 }
        let socket = self.socket
        var object: JSONObject = [
            "socket": .string(self.name),
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
