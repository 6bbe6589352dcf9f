import SioProtocol

/// Errors of the Swift client API.
///
/// A struct over a private enum, as SwiftNIO's and async-http-client's errors are: a new
/// reason is not a breaking change. Compare with `==` (`error == .notRunning`,
/// `error == .ack(.timedOut)`), or read ``emitError`` and ``ackError``.
public struct ClientError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Reason: Sendable, Hashable {
        case invalidURL(String)
        case invalidNamespace(String)
        case alreadyRunning
        case notRunning
        case emit(EmitError)
        case ack(AckError)
        case invalidArguments(String)
    }

    private let reason: Reason

    /// The URL is not an absolute `http`, `https`, `ws` or `wss` URL.
    public static func invalidURL(_ url: String) -> ClientError { ClientError(reason: .invalidURL(url)) }
    /// The namespace does not start with `/` (or contains a `,`).
    public static func invalidNamespace(_ namespace: String) -> ClientError { ClientError(reason: .invalidNamespace(namespace)) }
    /// ``Manager/run()`` was called twice.
    public static let alreadyRunning = ClientError(reason: .alreadyRunning)
    /// The Manager is not running (or was shut down).
    public static let notRunning = ClientError(reason: .notRunning)
    /// An emit was refused.
    public static func emit(_ error: EmitError) -> ClientError { ClientError(reason: .emit(error)) }
    /// An acknowledgement will not come.
    public static func ack(_ error: AckError) -> ClientError { ClientError(reason: .ack(error)) }
    /// The server's ack arguments are not valid JSON.
    public static func invalidArguments(_ why: String) -> ClientError { ClientError(reason: .invalidArguments(why)) }

    /// Why the emit was refused, when that is the error.
    public var emitError: EmitError? {
        if case .emit(let error) = self.reason { return error }
        return nil
    }

    /// Why the ack will not come, when that is the error.
    public var ackError: AckError? {
        if case .ack(let error) = self.reason { return error }
        return nil
    }

    /// Why the server's ack arguments could not be read, when that is the error.
    public var invalidArgumentsReason: String? {
        if case .invalidArguments(let why) = self.reason { return why }
        return nil
    }

    public var description: String {
        switch self.reason {
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
