import Foundation
import NIOSSL
import RPC
import SioClient
import SioJSON
import SioProtocol

/// The parameters of `socket.open` (docs/rpc.md § `socket.open`): a named socket, its server
/// and the reference client's options, with their names and defaults.
public struct SocketOpenRequest: Sendable, Hashable {
    /// How long the socket lives.
    public enum Lifetime: String, Sendable, Hashable {
        /// Closed when the RPC client that opened it disconnects.
        case connection
        /// Until `socket.close` or siod's shutdown.
        case daemon
        /// Kept in the state store and reopened when siod starts.
        case persistent
    }

    /// Whether and under which `auth` key the persistent session ID is sent.
    public enum Session: Sendable, Hashable {
        case off
        case key(String)
    }

    /// The socket's name (param `socket`).
    public var name: String
    /// The namespace (param `namespace`, else the URL's path, else `/`).
    public var namespace: String
    /// The CONNECT payload (param `auth`, an object).
    public var auth: JSON
    public var session: Session
    public var lifetime: Lifetime
    /// `autoConnect`.
    public var autoConnect: Bool
    /// `ackTimeout` (ms) and `retries` of the socket.
    public var ackTimeout: Int64?
    public var retries: Int
    /// `forceNew: true` or `multiplex: false`: never share a Manager.
    public var forceNew: Bool
    /// Everything that decides which Manager (connection) the socket uses.
    public var connection: ConnectionOptions
    /// Who besides the owner may use the socket (param `access`).
    public var access: AccessList
    /// `durable: true`: its emits are durable unless one says `durable: false`.
    public var durable: Bool
    /// `outboxWindow` and `outboxLimit: {entries, bytes}`, with `retries` (docs/rpc.md § Durable emits).
    var outbox: OutboxLimits
    /// `journal: {events, bytes}` (docs/rpc.md § The event journal).
    var journal: EventJournal.Limits
    /// `journal: {disk: true, maxBytes, maxAge}`: the events also on disk.
    var diskJournal: DiskJournal.Options?
    /// The uid that owns the socket: the client that opened it, siod's own for the
    /// configuration's (set by whoever opens it; not a parameter).
    public var owner: UInt32 = SocketKey.daemonOwner

    /// How siod knows the socket.
    public var key: SocketKey { SocketKey(owner: self.owner, name: self.name) }

    static let socketKeys: [String] = [
        "socket", "url", "namespace", "auth", "session", "lifetime", "autoConnect", "ackTimeout", "retries",
        "forceNew", "multiplex", "access", "durable", "outboxWindow", "outboxLimit", "journal",
    ]

    /// Reads `socket.open` params; an unknown or malformed parameter is an `invalid_params`
    /// error naming it.
    public init(params json: JSON?) throws(RPCError) {
        let params = try RPCParams(json)
        try params.rejectUnknown(Self.socketKeys + ConnectionOptions.keys)
        self.name = try params.nonEmptyString("socket")
        guard !self.name.hasPrefix("~") else {
            throw .invalidParams("socket", "must not start with \"~\" (~UID/NAME names another owner's socket)")
        }
        let urlText = try params.nonEmptyString("url")
        guard let url = URLComponents(string: urlText), let scheme = url.scheme?.lowercased(),
              ["http", "https", "ws", "wss"].contains(scheme), let host = url.host, !host.isEmpty
        else { throw .invalidParams("url", "must be an absolute http, https, ws or wss URL") }
        let urlPath = url.path.isEmpty ? "/" : url.path
        let namespace = try params.optionalString("namespace") ?? urlPath
        guard NamespaceName.isValid(namespace) else {
            throw .invalidParams("namespace", "must start with \"/\" and contain no \",\"")
        }
        self.namespace = namespace
        self.auth = .object(try params.optionalObject("auth") ?? [:])
        switch params.optionalValue("session") {
        case nil, .bool(true)?: self.session = .key("sessionId")
        case .bool(false)?: self.session = .off
        case .object(let object)?:
            guard let key = object["key"]?.stringValue, !key.isEmpty else { throw .invalidParams("session.key", "must be a non-empty string") }
            self.session = .key(key)
        default: throw .invalidParams("session", "must be true, false or {\"key\": …}")
        }
        let lifetime = try params.optionalString("lifetime") ?? "daemon"
        guard let parsed = Lifetime(rawValue: lifetime) else {
            throw .invalidParams("lifetime", "must be \"connection\", \"daemon\" or \"persistent\"")
        }
        self.lifetime = parsed
        self.autoConnect = try params.optionalBool("autoConnect") ?? true
        self.ackTimeout = try params.optionalInt("ackTimeout", minimum: 0).map { Int64($0) }
        self.retries = try params.optionalInt("retries", minimum: 0) ?? 0
        let forceNew = try params.optionalBool("forceNew") == true
        let multiplex = try params.optionalBool("multiplex") ?? true
        self.forceNew = forceNew || !multiplex
        self.connection = try ConnectionOptions(params: params, scheme: scheme, host: host, port: url.port, url: url)
        self.access = try AccessList(params.optionalValue("access"), parameter: "access")
        self.durable = try params.optionalBool("durable") ?? false
        var outbox = OutboxLimits.default
        outbox.retries = self.retries
        outbox.window = try params.optionalInt("outboxWindow", minimum: 1) ?? outbox.window
        if let limit = try params.optionalObject("outboxLimit") {
            let limit = try RPCParams(.object(limit), prefix: "outboxLimit.")
            try limit.rejectUnknown(["entries", "bytes"])
            outbox.entries = try limit.optionalInt("entries", minimum: 1) ?? outbox.entries
            outbox.bytes = try limit.optionalInt("bytes", minimum: 1) ?? outbox.bytes
        }
        self.outbox = outbox
        var journal = EventJournal.Limits.default
        if let given = try params.optionalObject("journal") {
            let given = try RPCParams(.object(given), prefix: "journal.")
            try given.rejectUnknown(["events", "bytes", "disk", "maxBytes", "maxAge"])
            journal.events = try given.optionalInt("events", minimum: 0) ?? journal.events
            journal.bytes = try given.optionalInt("bytes", minimum: 0) ?? journal.bytes
            if try given.optionalBool("disk") == true {
                self.diskJournal = DiskJournal.Options(
                    maxBytes: try given.optionalInt("maxBytes", minimum: 1) ?? DiskJournal.Options.defaultMaxBytes,
                    maxAge: try given.optionalInt("maxAge", minimum: 1).map { Int64($0) }
                )
            } else if given.optionalValue("maxBytes") != nil || given.optionalValue("maxAge") != nil {
                throw .invalidParams("journal", "maxBytes and maxAge are for a disk journal (disk: true)")
            }
        }
        self.journal = journal
    }

    /// The socket's options for the protocol machine.
    public var socketOptions: SocketOptions {
        SocketOptions(auth: .value(self.auth), retries: self.retries, ackTimeout: self.ackTimeout)
    }
}

/// The options that make a connection: sockets with equal ``ConnectionOptions`` share a
/// Manager (one Engine.IO connection), as `io()` does, unless `forceNew`.
public struct ConnectionOptions: Sendable, Hashable {
    /// The server, without path: `scheme://host[:port]`, plus the URL's query.
    public var url: String
    public var path: String
    public var query: [Pair]
    public var extraHeaders: [Pair]
    public var transports: [TransportKind]
    public var upgrade: Bool
    public var rememberUpgrade: Bool
    public var tryAllTransports: Bool
    public var timestampRequests: Bool?
    public var timeout: Int64?
    public var reconnection: Bool
    public var reconnectionAttempts: Int?
    public var reconnectionDelay: Int64
    public var reconnectionDelayMax: Int64
    public var randomizationFactor: Double
    public var perMessageDeflate: Bool
    public var tls: TLS?
    /// `proxy`: a URL, or false to ignore the environment's proxy.
    public var proxy: Proxy

    /// A name and value (query parameter, header).
    public struct Pair: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// `tls {ca, cert, key, rejectUnauthorized}`: each PEM contents (`-----BEGIN …`) or a file
    /// path (only from root, siod's own user and the configuration: siod cannot open a file
    /// with a client's rights).
    public struct TLS: Sendable, Hashable {
        public var ca: String?
        public var cert: String?
        public var key: String?
        public var rejectUnauthorized: Bool

        /// Whether `value` is PEM contents rather than a path.
        static func isPEM(_ value: String) -> Bool { value.hasPrefix("-----BEGIN") }

        /// The members given as file paths.
        var paths: [String] {
            [("ca", self.ca), ("cert", self.cert), ("key", self.key)].compactMap { name, value in
                value.map { Self.isPEM($0) ? nil : "tls." + name } ?? nil
            }
        }
    }

    public enum Proxy: Sendable, Hashable {
        case environment
        case none
        case server(host: String, port: Int)
    }

    static let keys: [String] = [
        "path", "query", "extraHeaders", "transports", "upgrade", "rememberUpgrade", "tryAllTransports",
        "timestampRequests", "timeout", "reconnection", "reconnectionAttempts", "reconnectionDelay",
        "reconnectionDelayMax", "randomizationFactor", "perMessageDeflate", "tls", "proxy",
    ]

    init(params: RPCParams, scheme: String, host: String, port: Int?, url: URLComponents) throws(RPCError) {
        // The reference client's defaults, as the client library writes them.
        let defaults = ManagerOptions()
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        self.url = "\(scheme)://\(hostPart)" + (port.map { ":\($0)" } ?? "")
        self.path = try params.optionalString("path") ?? defaults.path
        self.query = (url.queryItems ?? []).map { Pair(name: $0.name, value: $0.value ?? "") }
            + (try params.stringPairs("query")).map { Pair(name: $0.0, value: $0.1) }
        self.extraHeaders = try params.stringPairs("extraHeaders").map { Pair(name: $0.0, value: $0.1) }
        if let value = params.optionalValue("transports") {
            guard case .array(let names) = value, !names.isEmpty else {
                throw .invalidParams("transports", "must be a non-empty array of \"polling\" and \"websocket\"")
            }
            var transports: [TransportKind] = []
            for (index, name) in names.enumerated() {
                guard let text = name.stringValue, let kind = TransportKind(rawValue: text) else {
                    throw .invalidParams("transports[\(index)]", "must be \"polling\" or \"websocket\"")
                }
                transports.append(kind)
            }
            self.transports = transports
        } else {
            self.transports = defaults.transports
        }
        self.upgrade = try params.optionalBool("upgrade") ?? defaults.upgrade
        self.rememberUpgrade = try params.optionalBool("rememberUpgrade") ?? defaults.rememberUpgrade
        self.tryAllTransports = try params.optionalBool("tryAllTransports") ?? defaults.tryAllTransports
        self.timestampRequests = try params.optionalBool("timestampRequests")
        if case .bool(false)? = params.optionalValue("timeout") {
            self.timeout = nil
        } else {
            self.timeout = try params.optionalInt("timeout", minimum: 0).map { Int64($0) } ?? defaults.timeout.map(ManagerOptions.milliseconds)
        }
        self.reconnection = try params.optionalBool("reconnection") ?? defaults.reconnection
        self.reconnectionAttempts = try params.optionalInt("reconnectionAttempts", minimum: 0) ?? defaults.reconnectionAttempts
        self.reconnectionDelay = try params.optionalInt("reconnectionDelay", minimum: 0).map { Int64($0) }
            ?? ManagerOptions.milliseconds(defaults.reconnectionDelay)
        self.reconnectionDelayMax = try params.optionalInt("reconnectionDelayMax", minimum: 0).map { Int64($0) }
            ?? ManagerOptions.milliseconds(defaults.reconnectionDelayMax)
        self.randomizationFactor = try params.optionalDouble("randomizationFactor", in: 0...1) ?? defaults.randomizationFactor
        self.perMessageDeflate = try params.optionalBool("perMessageDeflate") ?? defaults.perMessageDeflate
        if let tlsObject = params.optionalValue("tls") {
            let tls = try RPCParams(tlsObject, prefix: "tls.")
            try tls.rejectUnknown(["ca", "cert", "key", "rejectUnauthorized"])
            let value = TLS(
                ca: try tls.optionalString("ca"), cert: try tls.optionalString("cert"), key: try tls.optionalString("key"),
                rejectUnauthorized: try tls.optionalBool("rejectUnauthorized") ?? true
            )
            guard (value.cert == nil) == (value.key == nil) else {
                throw .invalidParams(value.cert == nil ? "tls.cert" : "tls.key", "cert and key go together")
            }
            self.tls = value
        } else {
            self.tls = nil
        }
        switch params.optionalValue("proxy") {
        case nil:
            self.proxy = .environment
        case .bool(false)?:
            self.proxy = .none
        case .string(let text)?:
            guard let proxy = URLComponents(string: text.contains("://") ? text : "http://" + text), let host = proxy.host, !host.isEmpty else {
                throw .invalidParams("proxy", "must be a URL such as http://proxy:3128, or false")
            }
            self.proxy = .server(host: host, port: proxy.port ?? 80)
        default:
            throw .invalidParams("proxy", "must be a URL such as http://proxy:3128, or false")
        }
    }

    /// The client's options; TLS files are read here, so a missing file names its parameter.
    public func managerOptions() throws(RPCError) -> ManagerOptions {
        var options = ManagerOptions()
        options.path = self.path
        options.query = self.query.map { ($0.name, $0.value) }
        options.extraHeaders = self.extraHeaders.map { ($0.name, $0.value) }
        options.transports = self.transports
        options.upgrade = self.upgrade
        options.rememberUpgrade = self.rememberUpgrade
        options.tryAllTransports = self.tryAllTransports
        options.timestampRequests = self.timestampRequests
        options.timeout = self.timeout.map { .milliseconds($0) }
        options.reconnection = self.reconnection
        options.reconnectionAttempts = self.reconnectionAttempts
        options.reconnectionDelay = .milliseconds(self.reconnectionDelay)
        options.reconnectionDelayMax = .milliseconds(self.reconnectionDelayMax)
        options.randomizationFactor = self.randomizationFactor
        options.perMessageDeflate = self.perMessageDeflate
        switch self.proxy {
        case .environment: break
        case .none: options.useEnvironmentProxy = false
        case .server(let host, let port): options.proxy = .init(host: host, port: port)
        }
        if let tls = self.tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let ca = tls.ca {
                if TLS.isPEM(ca) {
                    do { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8))) } catch {
                        throw .invalidParams("tls.ca", "is not a PEM certificate")
                    }
                } else {
                    guard FileManager.default.isReadableFile(atPath: ca) else { throw .invalidParams("tls.ca", "cannot read \(ca)") }
                    configuration.trustRoots = .file(ca)
                }
            }
            if let cert = tls.cert, let key = tls.key {
                do {
                    let certificates = TLS.isPEM(cert) ? try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)) : try NIOSSLCertificate.fromPEMFile(cert)
                    configuration.certificateChain = certificates.map { .certificate($0) }
                } catch {
                    throw .invalidParams("tls.cert", TLS.isPEM(cert) ? "is not a PEM certificate" : "cannot read a PEM certificate from \(cert)")
                }
                do {
                    let privateKey = TLS.isPEM(key) ? try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem) : try NIOSSLPrivateKey(file: key, format: .pem)
                    configuration.privateKey = .privateKey(privateKey)
                } catch {
                    throw .invalidParams("tls.key", TLS.isPEM(key) ? "is not a PEM private key" : "cannot read a PEM private key from \(key)")
                }
            }
            if !tls.rejectUnauthorized { configuration.certificateVerification = .none }
            options.tls = configuration
        }
        return options
    }
}
