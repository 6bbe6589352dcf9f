import SioJSON

/// One Engine.IO v4 packet (engine.io-protocol § Packet encoding; engine.io-parser lib/commons.ts).
///
/// Encodings are byte-exact with engine.io-parser 5.2.3 (`encodePacket` / `decodePacket`),
/// see the vectors in the tests (docs/behaviour.md § Test vectors).
public enum EnginePacket: Sendable, Hashable {
    /// `0` + the raw handshake JSON, sent by the server as the first packet of a session
    /// (engine.io-protocol § Handshake). Parse it with `Handshake(json:)`.
    case open(String)
    /// `1`: the session is closing (engine.io-protocol § Packet encoding, "close").
    /// Data after the type character is accepted and dropped, like the reference.
    case close
    /// `2` + data: a heartbeat ping (data `""`), or `2probe` on an upgrade probe
    /// (engine.io-protocol § Heartbeat, § Upgrade).
    case ping(String)
    /// `3` + data: the answer to a ping (`3`, or `3probe` during an upgrade).
    case pong(String)
    /// `4` + text, `b` + base64 over polling, or a raw binary WebSocket frame
    /// (engine.io-protocol § Packet encoding, "message").
    case message(EngineData)
    /// `5`: completes an upgrade on the new transport (engine.io-protocol § Upgrade).
    case upgrade
    /// `6`: does nothing; the server flushes a pending polling GET with it during an upgrade
    /// (engine.io-protocol § Upgrade). Data after the type character is dropped.
    case noop
}

// MARK: - Encoding

extension EnginePacket {
    /// The packet as text, for HTTP long-polling bodies: a binary message becomes
    /// `b` + base64 (engine.io-protocol § HTTP long-polling; `encodePacket(p, false)`).
    public var encodedText: String {
        switch self {
        case .open(let json):
            return "0" + json
        case .close:
            return "1"
        case .ping(let data):
            return "2" + data
        case .pong(let data):
            return "3" + data
        case .message(.text(let text)):
            return "4" + text
        case .message(.binary(let bytes)):
            return "b" + Base64.encode(bytes)
        case .upgrade:
            return "5"
        case .noop:
            return "6"
        }
    }

    /// The packet as one WebSocket message: a binary message is a raw binary frame with
    /// no type prefix, everything else a text frame (engine.io-protocol § WebSocket;
    /// `encodePacket(p, true)`).
    public var webSocketMessage: WebSocketMessage {
        switch self {
        case .message(.binary(let bytes)):
            return .binary(bytes)
        case .open, .close, .ping, .pong, .message(.text), .upgrade, .noop:
            return .text(self.encodedText)
        }
    }
}

// MARK: - Decoding

extension EnginePacket {
    /// Decodes one text packet (engine.io-parser `decodePacket` on a string).
    ///
    /// `"4"` is a message with empty text; `"b"` a message with no bytes. An empty string,
    /// an unknown type character or bad base64 throws `EngineParseError`.
    public init(decodingText text: some StringProtocol) throws(EngineParseError) {
        guard let type = text.first else {
            throw EngineParseError.emptyPacket
        }
        let data = String(text.dropFirst())
        switch type {
        case "0":
            self = .open(data)
        case "1":
            self = .close
        case "2":
            self = .ping(data)
        case "3":
            self = .pong(data)
        case "4":
            self = .message(.text(data))
        case "5":
            self = .upgrade
        case "6":
            self = .noop
        case "b":
            self = .message(.binary(try Self.decodeBase64(data)))
        default:
            throw EngineParseError.unknownPacketType(type)
        }
    }

    /// Decodes one received WebSocket message: a text frame as a text packet, any binary
    /// frame as a binary `message` (engine.io-protocol § WebSocket).
    public init(decodingWebSocket message: WebSocketMessage) throws(EngineParseError) {
        switch message {
        case .text(let text):
            try self.init(decodingText: text)
        case .binary(let bytes):
            self = .message(.binary(bytes))
        }
    }

    /// Base64 as Node's `Buffer.from(s, "base64")` reads what servers send: standard
    /// alphabet, padding optional. Anything else is an error (the reference is lenient
    /// about garbage; we refuse it rather than deliver corrupted bytes).
    private static func decodeBase64(_ string: String) throws(EngineParseError) -> [UInt8] {
        guard let bytes = Base64.decode(string, paddingOptional: true) else {
            throw EngineParseError.invalidBase64
        }
        return bytes
    }
}
