import SioJSON

/// The data of the server's `0` (open) packet (engine.io-protocol § Handshake;
/// engine.io-client lib/socket.ts `onHandshake`).
///
/// Read as a JSON object, so key order does not matter (python-engineio orders them
/// differently from Node; docs/quirks.md #23) and a missing `maxPayload` means "no limit when
/// batching".
public struct Handshake: Sendable, Hashable {
    /// The session id, sent as `sid` on every later request and on the upgrade probe.
    public var sid: String
    /// Transports the session may upgrade to; `["websocket"]` on polling, `[]` on a
    /// WebSocket-first session.
    public var upgrades: [String]
    /// Milliseconds between the server's pings (engine.io-protocol § Heartbeat).
    public var pingInterval: Int
    /// Milliseconds the server waits for our pong; the client's watchdog is
    /// `pingInterval + pingTimeout` (engine.io-protocol § Heartbeat).
    public var pingTimeout: Int
    /// Maximum bytes the server accepts in one polling POST body; `nil` when the server
    /// did not say (engine.io-client `_getWritablePackets`; docs/behaviour.md § Polling).
    public var maxPayload: Int?

    /// Creates a handshake from its fields.
    public init(sid: String, upgrades: [String], pingInterval: Int, pingTimeout: Int, maxPayload: Int?) {
        self.sid = sid
        self.upgrades = upgrades
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.maxPayload = maxPayload
    }

    /// Parses the JSON data of an open packet (the text after `0`).
    ///
    /// `sid` (string), `pingInterval` and `pingTimeout` (numbers) are required; `upgrades`
    /// defaults to `[]` and `maxPayload` to `nil`. Unknown keys are ignored.
    public init(json: String) throws(EngineParseError) {
        let value: JSON
        do {
            value = try JSON(parsing: json.utf8)
        } catch {
            throw EngineParseError.invalidHandshake("not JSON")
        }
        guard case .object(let object) = value else {
            throw EngineParseError.invalidHandshake("not a JSON object")
        }
        guard case .string(let sid)? = object["sid"] else {
            throw EngineParseError.invalidHandshake("missing sid")
        }
        guard let pingInterval = Self.integer(object["pingInterval"]) else {
            throw EngineParseError.invalidHandshake("missing pingInterval")
        }
        guard let pingTimeout = Self.integer(object["pingTimeout"]) else {
            throw EngineParseError.invalidHandshake("missing pingTimeout")
        }
        let upgrades: [String]
        switch object["upgrades"] {
        case nil, .null?:
            upgrades = []
        case .array(let names)?:
            upgrades = names.compactMap(\.stringValue)
        default:
            throw EngineParseError.invalidHandshake("upgrades is not an array")
        }
        self.init(
            sid: sid,
            upgrades: upgrades,
            pingInterval: min(pingInterval, Self.maxPingMilliseconds),
            pingTimeout: min(pingTimeout, Self.maxPingMilliseconds),
            maxPayload: Self.integer(object["maxPayload"])
        )
    }

    /// The longest `pingInterval` and `pingTimeout` taken from a server (10 minutes): a server
    /// announcing years would leave a dead connection undetected for as long.
    public static let maxPingMilliseconds = 600_000

    /// A non-negative, finite JSON number as an `Int` (a boolean is not a number here).
    private static func integer(_ value: JSON?) -> Int? {
        guard case .number(let number)? = value else {
            return nil
        }
        let double = number.doubleValue
        guard double.isFinite, double >= 0, double <= Double(Int32.max) * 1024 else {
            return nil
        }
        return Int(double)
    }
}
