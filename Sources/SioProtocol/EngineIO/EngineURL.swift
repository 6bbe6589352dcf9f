/// Builds Engine.IO request URLs exactly as engine.io-client 6.6 does
/// (engine.io-protocol § Transports, "Query parameters"; docs/behaviour.md § Request URL):
///
/// `<http|https|ws|wss>://<host>[:port]<path>?<user query…>&EIO=4&transport=<name>[&t=<rnd>][&sid=<sid>]`
///
/// The per-connection parts are stored; the per-request parts (transport, cache-busting
/// timestamp, session id) are arguments of `string(transport:timestamp:sid:)`.
public struct EngineURL: Sendable {
    /// `https`/`wss` when true, `http`/`ws` otherwise.
    public var secure: Bool
    /// Host name or address; an IPv6 address (containing `:`) is bracketed.
    public var host: String
    /// Port; omitted from the URL when `nil` or the scheme's default (443 secure, 80 plain).
    public var port: Int?
    /// Request path before normalisation; the Manager default is `/socket.io`.
    public var path: String
    /// Append `/` after removing one trailing slash from `path` (reference default true).
    public var addTrailingSlash: Bool
    /// The user's query pairs, in order. Pairs named `EIO`, `transport`, `sid` or
    /// `timestampParam` are dropped: the engine sets those.
    public var query: [(name: String, value: String)]
    /// `timestampRequests`: `nil` (reference default) adds `t` to polling requests only,
    /// `true` to every request, `false` to none.
    public var timestampRequests: Bool?
    /// Name of the cache-busting parameter (reference `timestampParam`, default `t`).
    public var timestampParam: String

    /// Creates the per-connection part of the request URLs.
    public init(
        secure: Bool,
        host: String,
        port: Int? = nil,
        path: String = "/socket.io",
        addTrailingSlash: Bool = true,
        query: [(name: String, value: String)] = [],
        timestampRequests: Bool? = nil,
        timestampParam: String = "t"
    ) {
        self.secure = secure
        self.host = host
        self.port = port
        self.path = path
        self.addTrailingSlash = addTrailingSlash
        self.query = query
        self.timestampRequests = timestampRequests
        self.timestampParam = timestampParam
    }

    /// The request URL for one transport request.
    ///
    /// - Parameters:
    ///   - transport: selects the scheme and the `transport` value.
    ///   - timestamp: the caller's random cache-busting string (reference `randomString()`);
    ///     used for polling unless `timestampRequests == false`, for WebSocket only when
    ///     `timestampRequests == true` (`Polling.uri` / `BaseWS.uri`).
    ///   - sid: the session id once known (every request after the handshake, and the probe).
    public func string(transport: TransportKind, timestamp: String, sid: String?) -> String {
        let scheme: String
        switch transport {
        case .polling:
            scheme = self.secure ? "https" : "http"
        case .websocket:
            scheme = self.secure ? "wss" : "ws"
        }
        return scheme + "://" + self.authority + self.requestTarget(transport: transport, timestamp: timestamp, sid: sid)
    }

    /// The path and query of ``string(transport:timestamp:sid:)``: what an HTTP request line
    /// carries (a WebSocket upgrade is written by hand, not by an HTTP client).
    public func requestTarget(transport: TransportKind, timestamp: String, sid: String?) -> String {
        let addsTimestamp: Bool
        switch transport {
        case .polling:
            addsTimestamp = self.timestampRequests != false
        case .websocket:
            addsTimestamp = self.timestampRequests == true
        }

        let reserved: Set<String> = ["EIO", "transport", "sid", self.timestampParam]
        var pairs = self.query.filter { !reserved.contains($0.name) }
        pairs.append((name: "EIO", value: String(ProtocolRevision.engineIO)))
        pairs.append((name: "transport", value: transport.rawValue))
        if addsTimestamp {
            pairs.append((name: self.timestampParam, value: timestamp))
        }
        if let sid {
            pairs.append((name: "sid", value: sid))
        }
        let queryString = pairs
            .map { Self.encodeURIComponent($0.name) + "=" + Self.encodeURIComponent($0.value) }
            .joined(separator: "&")

        return self.normalisedPath + "?" + queryString
    }

    /// `host[:port]` with IPv6 brackets and the default port left out (`Transport._hostname`,
    /// `Transport._port`): the URL's authority, and the `Host` header of its requests.
    public var authority: String {
        let hostPart = self.host.contains(":") && !self.host.hasPrefix("[") ? "[" + self.host + "]" : self.host
        guard let port = self.port else {
            return hostPart
        }
        let defaultPort = self.secure ? 443 : 80
        return port == defaultPort ? hostPart : hostPart + ":" + String(port)
    }

    /// `path.replace(/\/$/, "") + (addTrailingSlash ? "/" : "")`.
    private var normalisedPath: String {
        var path = self.path
        if path.hasSuffix("/") {
            path.removeLast()
        }
        return self.addTrailingSlash ? path + "/" : path
    }

    /// JavaScript `encodeURIComponent`: everything but `A–Z a–z 0–9 - _ . ! ~ * ' ( )` is
    /// percent-encoded as UTF-8 with upper-case hex.
    static func encodeURIComponent(_ string: String) -> String {
        let hex: [Character] = Array("0123456789ABCDEF")
        var result = ""
        result.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"),
                UInt8(ascii: "~"), UInt8(ascii: "*"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"):
                result.append(Character(Unicode.Scalar(byte)))
            default:
                result.append("%")
                result.append(hex[Int(byte >> 4)])
                result.append(hex[Int(byte & 0x0F)])
            }
        }
        return result
    }
}
