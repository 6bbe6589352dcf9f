import SioProtocol

/// Errors of the Swift client API.
public enum ClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL is not an absolute `http`, `https`, `ws` or `wss` URL.
    case invalidURL(String)
    /// The namespace does not start with `/`.
    case invalidNamespace(String)
    /// ``Manager/run()`` was called twice.
    case alreadyRunning
    /// The Manager is not running (or was shut down).
    case notRunning
    /// An emit was refused.
    case emit(EmitError)
    /// An acknowledgement will not come.
    case ack(AckError)
    /// The server's ack arguments are not valid JSON.
    case invalidArguments(String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid URL \(url): it must be absolute http, https, ws or wss"
        case .invalidNamespace(let namespace): "namespace \"\(namespace)\" must start with \"/\" and contain no \",\""
        case .alreadyRunning: "the manager is already running"
        case .notRunning: "the manager is not running"
        case .emit(let error): error.description
        case .ack(let error): error.description
        case .invalidArguments(let why): "invalid arguments: \(why)"
        }
    }
}
