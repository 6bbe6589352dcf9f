import SioClient
import SioJSON

/// What siod remembers across restarts (docs/behaviour.md § Sessions): for each named socket its
/// session ID, and for persistent sockets what is needed to reopen them as they were.
public struct DaemonState: Sendable, Hashable {
    /// The remembered sockets, by name.
    public var sockets: [String: SocketRecord]

    public init(sockets: [String: SocketRecord] = [:]) {
        self.sockets = sockets
    }

    /// The format version written in the file.
    public static let version = 1
}

/// One named socket's memory.
public struct SocketRecord: Sendable, Hashable {
    /// The persistent session ID (a secret).
    public var sessionId: String
    /// For a persistent socket: its `socket.open` parameters, to reopen it at start.
    public var open: JSON?
    /// A persistent socket declared in the configuration file: the file, not this record,
    /// decides whether it is reopened.
    public var fromConfig = false
    /// For a persistent socket: the auth payload set with `socket.setAuth` (a secret).
    public var auth: JSON?
    /// Connection state recovery: the server's `pid` and the last `offset`.
    public var recovery: Recovery?

    /// Connection state recovery data (socket.io-protocol § Connection state recovery): the
    /// client's own type, saved as is.
    public typealias Recovery = SioClient.Recovery

    public init(sessionId: String, open: JSON? = nil, auth: JSON? = nil, recovery: Recovery? = nil) {
        self.sessionId = sessionId
        self.open = open
        self.auth = auth
        self.recovery = recovery
    }
}

// MARK: - The file format

extension DaemonState {
    /// `{"version":1,"sockets":{"<name>":{"sessionId":…,"open":…,"auth":…,"recovery":{"pid":…,"offset":…}}}}`,
    /// sockets in name order so that equal states write equal bytes.
    public var json: JSON {
        // Names are unique: members are appended, not looked up (a keyed insert searches the
        // members, which made saving 10,000 names quadratic).
        var sockets = JSONObject()
        sockets.members.reserveCapacity(self.sockets.count)
        for name in self.sockets.keys.sorted() {
            guard let record = self.sockets[name] else { continue }
            var object: JSONObject = ["sessionId": .string(record.sessionId)]
            if let open = record.open { object["open"] = open }
            if record.fromConfig { object["config"] = true }
            if let auth = record.auth { object["auth"] = auth }
            if let recovery = record.recovery {
                var value: JSONObject = ["pid": .string(recovery.pid)]
                if let offset = recovery.offset { value["offset"] = .string(offset) }
                object["recovery"] = .object(value)
            }
            sockets.members.append(JSONObject.Member(key: name, value: .object(object)))
        }
        return ["version": .number(JSONNumber(Self.version)), "sockets": .object(sockets)]
    }

    /// Reads the file format; a value it cannot read is an error naming what is wrong.
    public init(json: JSON) throws(StateError) {
        guard case .object(let root) = json else { throw .invalid("the state is not a JSON object") }
        guard root["version"]?.intValue == Self.version else {
            throw .invalid("unsupported state version \(root["version"].map { "\($0)" } ?? "(none)")")
        }
        guard case .object(let sockets)? = root["sockets"] else { throw .invalid("\"sockets\" is not an object") }
        var records: [String: SocketRecord] = [:]
        for member in sockets {
            guard case .object(let object) = member.value, let sessionId = object["sessionId"]?.stringValue else {
                throw .invalid("socket \"\(member.key)\" has no sessionId")
            }
            var record = SocketRecord(sessionId: sessionId, open: object["open"], auth: object["auth"])
            record.fromConfig = object["config"] == .bool(true)
            if case .object(let recovery)? = object["recovery"], let pid = recovery["pid"]?.stringValue {
                record.recovery = .init(pid: pid, offset: recovery["offset"]?.stringValue)
            }
            records[member.key] = record
        }
        self.sockets = records
    }
}
