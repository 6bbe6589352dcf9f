/// A packet or payload that engine.io-parser 5.2.3 would turn into its `error` packet
/// (`{type: "error", data: "parser error"}`), or a handshake that cannot be read
/// (engine.io-protocol § Packet encoding, § Handshake; docs/behaviour.md § Engine.IO packets).
///
/// The engine answers any of them with a close of reason "transport error"
/// (message "parser error").
public struct EngineParseError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Base: Sendable, Hashable {
        case emptyPacket
        case unknownPacketType(Character)
        case invalidBase64
        case invalidHandshake(String)
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// An empty string where a packet was expected (e.g. `""`, or `4a\u{1e}\u{1e}4b`).
    public static let emptyPacket = EngineParseError(.emptyPacket)

    /// The first character is not one of `0`–`6` or `b`.
    public static func unknownPacketType(_ character: Character) -> EngineParseError {
        EngineParseError(.unknownPacketType(character))
    }

    /// A `b` packet whose data is not base64.
    public static let invalidBase64 = EngineParseError(.invalidBase64)

    /// The `0` packet's data is not a handshake object; the string says what is wrong.
    public static func invalidHandshake(_ reason: String) -> EngineParseError {
        EngineParseError(.invalidHandshake(reason))
    }

    public var description: String {
        switch self.base {
        case .emptyPacket:
            return "parser error: empty packet"
        case .unknownPacketType(let character):
            return "parser error: unknown packet type \(String(reflecting: String(character)))"
        case .invalidBase64:
            return "parser error: invalid base64 in binary packet"
        case .invalidHandshake(let reason):
            return "parser error: invalid handshake (\(reason))"
        }
    }
}
