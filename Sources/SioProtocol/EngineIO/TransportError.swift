/// A transport failure as the reference names it (engine.io-client `TransportError`;
/// docs/behaviour.md § Polling, § WebSocket, § Engine close reasons).
public struct TransportError: Error, Sendable, Hashable {
    /// `"xhr poll error"`, `"xhr post error"`, `"websocket error"`, `"parser error"`,
    /// `"No transports available"`, ….
    public var message: String
    /// Detail, e.g. the HTTP status `"400"`.
    public var description: String?

    /// Creates a transport error.
    public init(message: String, description: String? = nil) {
        self.message = message
        self.description = description
    }

    /// `message`, or `"message: description"`; the text carried as the description of a
    /// "transport error" close.
    public var summary: String {
        guard let description = self.description else {
            return self.message
        }
        return self.message + ": " + description
    }
}
