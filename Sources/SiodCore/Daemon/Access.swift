#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RPC
import SioJSON

/// Who besides its owner may use a socket (`access: {"users": […], "groups": […]}`), and who
/// may act on the whole daemon (the configuration's `admin`). Users and groups are names or
/// numeric ids, resolved when the socket is opened or the configuration loaded.
public struct AccessList: Sendable, Hashable {
    public var users: Set<UInt32>
    public var groups: Set<UInt32>

    public init(users: Set<UInt32> = [], groups: Set<UInt32> = []) {
        self.users = users
        self.groups = groups
    }

    /// Reads `{"users": [...], "groups": [...]}`; `parameter` names it in errors.
    init(_ value: JSON?, parameter: String) throws(RPCError) {
        self.init()
        guard let value, value != .null else { return }
        guard case .object(let object) = value else { throw .invalidParams(parameter, "must be an object with \"users\" and \"groups\"") }
        for member in object {
            guard member.key == "users" || member.key == "groups" else {
                throw .invalidParams("\(parameter).\(member.key)", "is not known (only \"users\" and \"groups\")")
            }
            let isUsers = member.key == "users"
            guard case .array(let items) = member.value else { throw .invalidParams("\(parameter).\(member.key)", "must be an array") }
            for item in items {
                let id: UInt32? =
                    switch item {
                    case .number(let number): number.intValue.flatMap { UInt32(exactly: $0) }
                    case .string(let text): UInt32(text) ?? (isUsers ? Self.uid(named: text) : Self.gid(named: text))
                    default: nil
                    }
                guard let id else {
                    throw .invalidParams("\(parameter).\(member.key)", "has \(item.rpcText), which is no \(isUsers ? "user" : "group") of this machine")
                }
                if isUsers { self.users.insert(id) } else { self.groups.insert(id) }
            }
        }
    }

    /// Whether `caller` is listed, by uid or by one of its groups.
    func admits(_ caller: Caller) -> Bool {
        self.users.contains(caller.uid) || !self.groups.isDisjoint(with: caller.groups)
    }

    static func uid(named name: String) -> UInt32? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.pw_uid
    }

    static func gid(named name: String) -> UInt32? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }
}

/// A client as siod's access rules see it: its uid and groups (`SO_PEERCRED`,
/// `SO_PEERGROUPS`), and whether it may act on the whole daemon.
public struct Caller: Sendable, Hashable {
    public let uid: UInt32
    /// Its effective group and its supplementary groups.
    public let groups: Set<UInt32>
    /// Root, siod's own user, or listed in the configuration's `admin`: sees every socket and
    /// may reload.
    public let isAdmin: Bool

    public init(uid: UInt32, groups: Set<UInt32>, admins: AccessList) {
        self.uid = uid
        self.groups = groups
        self.isAdmin = uid == 0 || uid == SocketKey.daemonOwner || admins.users.contains(uid) || !admins.groups.isDisjoint(with: groups)
    }

    /// The client of an RPC connection (siod itself when the socket gives no credentials,
    /// which a Unix socket on Linux always does).
    init(_ peer: PeerCredentials?, admins: AccessList) {
        guard let peer else {
            self.init(uid: SocketKey.daemonOwner, groups: [], admins: admins)
            return
        }
        self.init(uid: peer.uid, groups: Set(peer.groups).union([peer.gid]), admins: admins)
    }

    /// siod itself: the configuration file and restored sockets.
    static let daemon = Caller(uid: SocketKey.daemonOwner, groups: [], admins: AccessList())

    /// Whether this client may see and use a socket of `owner` shared with `access`.
    func mayUse(owner: UInt32, access: AccessList) -> Bool {
        self.isAdmin || owner == self.uid || access.admits(self)
    }
}

/// How a socket is known inside siod: its owner's uid and its name. The key is the name alone
/// for siod's own sockets (the configuration's, and those siod's own user opens), `~UID/NAME`
/// for another owner's: so state files of earlier versions, whose names had no owner, stay
/// siod's own, and two users may each have a `chat`.
///
/// A client names its own sockets and siod's by name; another owner's socket shared with it
/// (or any socket, for an admin) as `~UID/NAME` or `~USER/NAME`. Its own socket comes first
/// when both it and siod have one of that name.
public struct SocketKey: Sendable, Hashable, CustomStringConvertible {
    public let owner: UInt32
    public let name: String

    /// siod's own uid: the owner of the configuration's sockets.
    public static let daemonOwner: UInt32 = geteuid()

    public init(owner: UInt32, name: String) {
        self.owner = owner
        self.name = name
    }

    /// The key as a string: `NAME` or `~UID/NAME`.
    public var description: String {
        self.owner == Self.daemonOwner ? self.name : "~\(self.owner)/\(self.name)"
    }

    /// Reads a key written by ``description``.
    public init(parsing key: String) {
        if let parsed = Self.qualified(key, users: false) {
            self = parsed
        } else {
            self.init(owner: Self.daemonOwner, name: key)
        }
    }

    /// `~UID/NAME` (or `~USER/NAME` when `users`), else nil.
    private static func qualified(_ text: String, users: Bool) -> SocketKey? {
        guard text.hasPrefix("~"), let slash = text.firstIndex(of: "/") else { return nil }
        let owner = text[text.index(after: text.startIndex)..<slash]
        let name = String(text[text.index(after: slash)...])
        guard !name.isEmpty, let uid = UInt32(owner) ?? (users ? AccessList.uid(named: String(owner)) : nil) else { return nil }
        return SocketKey(owner: uid, name: name)
    }

    /// The keys `given` may mean for `caller`, in the order tried: a qualified name means one
    /// key; a plain name the caller's own socket, then siod's.
    static func candidates(_ given: String, for caller: Caller) -> [SocketKey] {
        if given.hasPrefix("~") { return self.qualified(given, users: true).map { [$0] } ?? [] }
        let own = SocketKey(owner: caller.uid, name: given)
        return caller.uid == Self.daemonOwner ? [own] : [own, SocketKey(owner: Self.daemonOwner, name: given)]
    }

    /// How `caller` names this socket: by name if it is its own or siod's, else qualified.
    func display(for caller: Caller) -> String {
        self.owner == caller.uid || self.owner == Self.daemonOwner ? self.name : "~\(self.owner)/\(self.name)"
    }
}
