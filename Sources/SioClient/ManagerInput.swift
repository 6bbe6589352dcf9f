import SioJSON
import SioProtocol

/// What a Manager's driver reacts to: user calls, transport results, timers. Each is handled
/// on the Manager's event loop, one at a time, in the order it was submitted.
enum ManagerInput: Sendable {
    // User calls.
    case addSocket(Socket, SocketOptions, recovery: Recovery?)
    case removeSocket(String)
    case setAuth(String, SocketOptions.Auth)
    case provideAuth(String, JSON?)
    case connect(String)
    case disconnect(String)
    case emit(EmitRequest, EmitCompletion)
    case sendAck(String, UInt64, EventArguments, @Sendable (Result<Void, ClientError>) -> Void)
    case open
    case close
    case dropConnection
    /// Report every event a socket writes (``SocketEvent/sent(_:)``) from now on, or stop.
    case reportOutgoing(Bool)
    /// Ends the Manager; the sockets of these namespaces leave without DISCONNECT.
    case shutdown(keepingSessions: Set<String>)
    /// The grace period of a shutdown is over.
    case shutdownDeadline

    // Transport results.
    case pollCompleted(ConnectionID, body: String, setCookies: [String])
    case pollFailed(ConnectionID, TransportError)
    case postCompleted(ConnectionID, setCookies: [String])
    case postFailed(ConnectionID, TransportError)
    case webSocketOpened(ConnectionID)
    case webSocketReceived(ConnectionID, WebSocketMessage)
    case webSocketClosed(ConnectionID, description: String?)
    case webSocketFailed(ConnectionID, TransportError)

    // Timers.
    case timerFired(ManagerTimer)
}
