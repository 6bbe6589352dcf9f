import Foundation
import NIOCore
import NIOSSL
import SioProtocol

/// Options of a ``Manager``, named and defaulted as the reference client's options
/// (socket.io-client `ManagerOptions` + engine.io-client `SocketOptions`; docs/behaviour.md
/// § Options and defaults).
///
/// The protocol options take their defaults from ``ManagerConfiguration`` and
/// ``EngineConfiguration``, where they are written once.
public struct ManagerOptions: Sendable {
    private static let defaults = ManagerConfiguration()
    /// `path`: the server's Socket.IO path.
    public var path: String = "/socket.io"
    /// `addTrailingSlash`.
    public var addTrailingSlash: Bool = true
    /// `query`: extra query parameters on every request, in order.
    public var query: [(String, String)] = []
    /// `extraHeaders`: sent with every polling request and the WebSocket upgrade.
    public var extraHeaders: [(String, String)] = []
    /// `transports`: the first is tried first.
    public var transports: [TransportKind] = Self.defaults.engine.transports
    /// `upgrade`: probe the server's upgrades after opening over polling.
    public var upgrade: Bool = Self.defaults.engine.upgrade
    /// `rememberUpgrade`: start on WebSocket when it worked before on this Manager.
    public var rememberUpgrade: Bool = Self.defaults.engine.rememberUpgrade
    /// `tryAllTransports`: on a failed first attempt, try the next transport.
    public var tryAllTransports: Bool = Self.defaults.engine.tryAllTransports
    /// `timestampRequests`: nil is the reference's default (`t` on polling only).
    public var timestampRequests: Bool? = nil
    /// `reconnection`.
    public var reconnection: Bool = Self.defaults.reconnection
    /// `reconnectionAttempts`: nil for no limit.
    public var reconnectionAttempts: Int? = Self.defaults.reconnectionAttempts
    /// `reconnectionDelay`.
    public var reconnectionDelay: Duration = .milliseconds(Self.defaults.reconnectionDelay)
    /// `reconnectionDelayMax`.
    public var reconnectionDelayMax: Duration = .milliseconds(Self.defaults.reconnectionDelayMax)
    /// `randomizationFactor`.
    public var randomizationFactor: Double = Self.defaults.randomizationFactor
    /// `timeout` of each connection attempt's handshake; nil disables it.
    public var timeout: Duration? = Self.defaults.timeout.map { .milliseconds($0) }
    /// `perMessageDeflate` on WebSocket (off by default: zlib state costs ~256 KB per connection).
    public var perMessageDeflate: Bool = false
    /// Packets per polling POST (python-engineio drops a whole POST with more than 16).
    public var maxPacketsPerPayload: Int = Self.defaults.engine.maxPacketsPerPayload
    /// Binary attachments one received packet may announce.
    public var maxAttachments: Int = Self.defaults.maxAttachments
    /// Report every event a socket writes on its ``Socket/events`` as `.sent` (the reference's
    /// `onAnyOutgoing`).
    public var reportsOutgoingEvents: Bool = false
    /// The largest WebSocket message accepted.
    public var maxWebSocketMessageSize: Int = 1 << 24
    /// TLS for `https`/`wss`: nil is the system trust store with verification.
    public var tls: TLSConfiguration? = nil
    /// An HTTP proxy (CONNECT) for both transports. When nil and ``useEnvironmentProxy`` is
    /// set, `https_proxy`/`http_proxy`/`no_proxy` (either case) decide.
    public var proxy: Proxy? = nil
    /// Read the proxy from the environment when ``proxy`` is nil. Loopback hosts are never
    /// proxied from the environment.
    public var useEnvironmentProxy: Bool = true

    /// An HTTP CONNECT proxy.
    public struct Proxy: Sendable, Hashable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public init() {}

    /// The proxy for a server at `host`: ``proxy``, else the environment's for `secure` URLs
    /// (`https_proxy`) or plain ones (`http_proxy`), unless `no_proxy` lists the host.
    func effectiveProxy(host: String, secure: Bool, environment: [String: String]) -> Proxy? {
        if let proxy = self.proxy { return proxy }
        guard self.useEnvironmentProxy else { return nil }
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered.hasPrefix("127.") || lowered == "::1" || lowered == "[::1]" { return nil }
        func value(_ name: String) -> String? {
            let found = environment[name] ?? environment[name.uppercased()]
            return found?.isEmpty == false ? found : nil
        }
        if let noProxy = value("no_proxy") {
            for entry in noProxy.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
                if entry == "*" { return nil }
                let suffix = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
                if !suffix.isEmpty, lowered == suffix || lowered.hasSuffix("." + suffix) { return nil }
            }
        }
        guard let raw = value(secure ? "https_proxy" : "http_proxy") ?? (secure ? value("http_proxy") : nil),
              let url = URL(string: raw.contains("://") ? raw : "http://" + raw), let proxyHost = url.host
        else { return nil }
        return Proxy(host: proxyHost, port: url.port ?? 80)
    }

    /// The protocol machine's configuration for these options.
    var managerConfiguration: ManagerConfiguration {
        ManagerConfiguration(
            reconnection: self.reconnection,
            reconnectionAttempts: self.reconnectionAttempts,
            reconnectionDelay: Self.milliseconds(self.reconnectionDelay),
            reconnectionDelayMax: Self.milliseconds(self.reconnectionDelayMax),
            randomizationFactor: self.randomizationFactor,
            timeout: self.timeout.map(Self.milliseconds),
            engine: EngineConfiguration(
                transports: self.transports,
                upgrade: self.upgrade,
                rememberUpgrade: self.rememberUpgrade,
                tryAllTransports: self.tryAllTransports,
                maxPacketsPerPayload: self.maxPacketsPerPayload
            ),
            maxAttachments: self.maxAttachments,
            reportsOutgoing: self.reportsOutgoingEvents
        )
    }

    /// Whole milliseconds, clamped (NIO's `TimeAmount(_: Duration)` clamps where
    /// `seconds * 1000` would overflow).
    public static func milliseconds(_ duration: Duration) -> Int64 {
        TimeAmount(duration).nanoseconds / 1_000_000
    }
}
