#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RPC
import SioJSON

/// siod's configuration file: JSON, one member per socket to open at start, with the fields
/// of `socket.open` (docs/rpc.md § Configuration):
///
/// ```json
/// {"sockets": {"chat": {"url": "http://127.0.0.1:5000", "auth": {"token": "…"}}}}
/// ```
///
/// JSON rather than TOML: siod already has an exact JSON parser, the file's entries are the
/// very objects `socket.open` takes, and no TOML package is worth a dependency for one table.
public struct ConfigFile: Sendable, Hashable {
    /// The declared sockets by name: each one's `socket.open` params (with `socket` set).
    public var sockets: [String: SocketOpenRequest]
    /// The params as written, by name, for `daemon.info` and to compare on reload.
    public var params: [String: JSON]
    /// Who, besides root and siod's own user, may act on the whole daemon and see every
    /// socket (`"admin": {"users": […], "groups": […]}`).
    public var admin: AccessList

    public init() {
        self.sockets = [:]
        self.params = [:]
        self.admin = AccessList()
    }

    /// Reads and validates `path`; `mustExist` false turns a missing file into an empty
    /// configuration.
    public static func load(path: String, mustExist: Bool) throws(ConfigError) -> ConfigFile {
        let read: [UInt8]?
        do throws(FileReadError) { read = try FileBytes.read(path) } catch {
            throw ConfigError(path: path, reason: error.reason)
        }
        guard let bytes = read else {
            if mustExist { throw ConfigError(path: path, reason: "cannot open: \(String(cString: strerror(ENOENT)))") }
            return ConfigFile()
        }
        return try Self(parsing: bytes, path: path)
    }

    /// Parses a configuration text; `path` names it in errors. `{"$credential": "NAME"}`
    /// anywhere in a socket's entry is read from `credentials` (systemd's
    /// `$CREDENTIALS_DIRECTORY`, so that `LoadCredentialEncrypted=` keeps tokens out of
    /// `/etc`); ``params`` keep the reference, not the secret.
    public init(
        parsing bytes: [UInt8], path: String,
        credentials: String? = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"]
    ) throws(ConfigError) {
        // An empty file declares nothing (as /dev/null does).
        if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
            self.init()
            return
        }
        let json: JSON
        do { json = try JSON(parsingRPC: bytes) } catch {
            throw ConfigError(path: path, reason: "not valid JSON: \(error)")
        }
        guard case .object(let root) = json else { throw ConfigError(path: path, reason: "the top level must be an object") }
        for key in root.keys where key != "sockets" && key != "admin" {
            throw ConfigError(path: path, reason: "unknown member \"\(key)\" (only \"sockets\" and \"admin\")")
        }
        self.init()
        do throws(RPCError) { self.admin = try AccessList(root["admin"], parameter: "admin") } catch {
            throw ConfigError(path: path, reason: error.parameterError.map { "\($0.parameter) \($0.reason)" } ?? error.message)
        }
        guard let sockets = root["sockets"] else { return }
        guard case .object(let entries) = sockets else { throw ConfigError(path: path, reason: "\"sockets\" must be an object") }
        for member in entries {
            let (name, value) = (member.key, member.value)
            guard !name.isEmpty else { throw ConfigError(path: path, reason: "a socket name must not be empty") }
            guard self.sockets[name] == nil else { throw ConfigError(path: path, reason: "socket \"\(name)\" is declared twice") }
            guard case .object(var object) = value else {
                throw ConfigError(path: path, reason: "sockets.\(name) must be an object")
            }
            if let given = object["socket"], given != .string(name) {
                throw ConfigError(path: path, reason: "sockets.\(name).socket must be \"\(name)\" or absent")
            }
            object["socket"] = .string(name)
            let resolved: JSON
            do throws(CredentialError) {
                resolved = try Self.resolvingCredentials(.object(object), in: credentials)
            } catch {
                throw ConfigError(path: path, reason: "sockets.\(name): \(error.reason)")
            }
            do throws(RPCError) {
                let request = try SocketOpenRequest(params: resolved)
                if request.lifetime == .connection {
                    throw .invalidParams("lifetime", "cannot be \"connection\" in the configuration")
                }
                self.sockets[name] = request
                self.params[name] = .object(object)
            } catch {
                throw ConfigError(path: path, socket: name, error)
            }
        }
    }
}

/// Why a configuration file was refused.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong, naming the member.
    public var reason: String

    public var description: String { "\(self.path): \(self.reason)" }
}

extension ConfigError {
    /// `sockets.<name>.<parameter> <reason>`: a socket entry its open parameters refuse.
    init(path: String, socket name: String, _ error: RPCError) {
        let reason = error.parameterError.map { "\($0.parameter) \($0.reason)" } ?? error.message
        self.init(path: path, reason: "sockets.\(name).\(reason)")
    }
}

// MARK: - Credentials

/// Why a `{"$credential": …}` could not be read.
struct CredentialError: Error {
    var reason: String
}

extension ConfigFile {
    /// `value` with every `{"$credential": "NAME"}` replaced by the contents of
    /// `directory/NAME` as a string (a final newline dropped).
    static func resolvingCredentials(_ value: JSON, in directory: String?) throws(CredentialError) -> JSON {
        switch value {
        case .object(let object):
            if object.members.count == 1, object.members[0].key == "$credential" {
                guard case .string(let name) = object.members[0].value else {
                    throw CredentialError(reason: "\"$credential\" must name a credential")
                }
                return .string(try Self.credential(name, in: directory))
            }
            var resolved = JSONObject()
            for member in object { resolved[member.key] = try Self.resolvingCredentials(member.value, in: directory) }
            return .object(resolved)
        case .array(let items):
            var resolved: [JSON] = []
            for item in items { resolved.append(try Self.resolvingCredentials(item, in: directory)) }
            return .array(resolved)
        default:
            return value
        }
    }

    private static func credential(_ name: String, in directory: String?) throws(CredentialError) -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw CredentialError(reason: "credential \"\(name)\" is not a file name")
        }
        guard let directory, !directory.isEmpty else {
            throw CredentialError(reason: "credential \"\(name)\" asked for, but CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit sets it)")
        }
        let path = directory + "/" + name
        let read: [UInt8]?
        do throws(FileReadError) { read = try FileBytes.read(path) } catch {
            throw CredentialError(reason: "cannot read credential \"\(name)\": \(error.reason)")
        }
        guard var bytes = read else { throw CredentialError(reason: "credential \"\(name)\" does not exist in \(directory)") }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
