import SioJSON

/// The name of an event: the first element of an EVENT payload, a string or a number
/// (socket.io-parser accepts `2[123,"…"]`).
public enum EventName: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// A string name, the usual case.
    case string(String)
    /// A numeric name.
    case number(JSONNumber)

    /// Event names that a Socket.IO client refuses to emit and to receive (socket.io-client
    /// `RESERVED_EVENTS`, socket.io-parser `RESERVED_EVENTS`).
    public static let reserved: Set<String> = [
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    ]

    public init(stringLiteral value: String) { self = .string(value) }

    /// The name as text (`"123"` for a numeric name), as listeners see it.
    public var description: String {
        switch self {
        case .string(let name): name
        case .number(let number): number.text
        }
    }

    /// Whether the name is one of ``reserved``.
    public var isReserved: Bool {
        switch self {
        case .string(let name): Self.reserved.contains(name)
        case .number: false
        }
    }

    /// The name as a JSON value.
    public var json: JSON {
        switch self {
        case .string(let name): .string(name)
        case .number(let number): .number(number)
        }
    }
}
