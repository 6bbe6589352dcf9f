import SioJSON

/// Options of one Socket (a namespace on a Manager), named as the reference client's
/// `SocketOptions` (socket.io-client `socket.ts`), plus the limits a daemon needs.
public struct SocketOptions: Sendable, Hashable {
    /// How the CONNECT payload is obtained (socket.io-client `onopen`; docs/behaviour.md
    /// § Namespace handshake).
    public enum Auth: Sendable, Hashable {
        /// No payload: `40`.
        case none
        /// This object, sent on every CONNECT (re-read each time, so ``NamespaceStateMachine/setAuth(_:)`` applies to the next one).
        case value(JSON)
        /// Asked for before every CONNECT (the reference's `auth(cb)` function): the machine
        /// emits ``SocketEvent/authRequested`` and waits for ``NamespaceStateMachine/provideAuth(_:)``.
        case provider
    }

    /// The CONNECT payload.
    public var auth: Auth
    /// `retries`: more than 0 sends emits through the at-least-once queue (docs/behaviour.md
    /// § Retry queue).
    public var retries: Int
    /// `ackTimeout` in milliseconds: the default timeout of emits that wait for an ack.
    public var ackTimeout: Int64?
    /// Packets kept while disconnected. At the bound a new emit is refused with
    /// ``EmitError/sendBufferFull`` (nothing is dropped silently; docs/quirks.md #7). It also
    /// bounds the retry queue (`retries > 0`), counted together with the send buffer. 0 or less:
    /// nothing is kept (every emit that would wait is refused).
    public var sendBufferLimit: Int
    /// Events received before the CONNECT reply and kept until it comes. At the bound the oldest
    /// is dropped and ``SocketEvent/eventsDropped(_:)`` says how many. 0 or less: every early
    /// event is dropped, reported as `eventsDropped(1)`.
    public var receiveBufferLimit: Int

    public init(
        auth: Auth = .none,
        retries: Int = 0,
        ackTimeout: Int64? = nil,
        sendBufferLimit: Int = 10_000,
        receiveBufferLimit: Int = 10_000
    ) {
        self.auth = auth
        self.retries = retries
        self.ackTimeout = ackTimeout
        self.sendBufferLimit = sendBufferLimit
        self.receiveBufferLimit = receiveBufferLimit
    }
}

/// Per-emit flags: the reference's `timeout(ms)`, `volatile` and `compress(bool)` modifiers,
/// plus who waits for the ack. Flags belong to one emit, so nothing leaks into the next
/// (docs/quirks.md #18, fixed by construction).
public struct EmitOptions: Sendable, Hashable {
    /// Ask the server for an acknowledgement; its outcome is reported with this token as
    /// ``SocketEvent/ackResult(_:_:)``.
    public var ack: EmitToken?
    /// Ack timeout in milliseconds; overrides ``SocketOptions/ackTimeout``.
    public var timeout: Int64?
    /// Drop the emit instead of buffering it when it cannot be written now.
    public var volatile: Bool
    /// Ask the transport to compress this message (permessage-deflate).
    public var compress: Bool
    /// Refuse the emit (``EmitError/notConnected``) instead of buffering it when the socket is
    /// not connected, and keep it out of the retry queue: for a caller that keeps its own
    /// queue and resends (siod's durable outbox), a packet left in the send buffer would go
    /// out on the next connect ahead of what the caller resends.
    public var requireConnected: Bool

    public init(ack: EmitToken? = nil, timeout: Int64? = nil, volatile: Bool = false, compress: Bool = true, requireConnected: Bool = false) {
        self.ack = ack
        self.timeout = timeout
        self.volatile = volatile
        self.compress = compress
        self.requireConnected = requireConnected
    }
}

/// Identifies an emit whose acknowledgement someone waits for; chosen by the caller.
public struct EmitToken: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "emit#\(self.rawValue)" }
}

/// What happened to an emit at the moment it was made.
public enum EmitStatus: String, Sendable, Hashable {
    /// Handed to the engine.
    case sent
    /// Kept until the socket connects (or, with `retries`, queued behind an earlier emit).
    case buffered
    /// A volatile emit that could not be written now.
    case dropped
}

/// Why an emit was refused outright; nothing was sent or kept.
///
/// A struct over a private enum, as SwiftNIO's and async-http-client's errors are: a new
/// reason is not a breaking change for code that switches over the known ones.
public struct EmitError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Reason: Sendable, Hashable {
        case reservedEventName(String)
        case sendBufferFull(limit: Int)
        case unknownNamespace(String)
        case notConnected
    }

    private let reason: Reason

    /// The event name is reserved (`connect`, `disconnect`, …).
    public static func reservedEventName(_ name: String) -> EmitError { EmitError(reason: .reservedEventName(name)) }
    /// The send buffer holds ``SocketOptions/sendBufferLimit`` packets already.
    public static func sendBufferFull(limit: Int) -> EmitError { EmitError(reason: .sendBufferFull(limit: limit)) }
    /// No socket for this namespace.
    public static func unknownNamespace(_ namespace: String) -> EmitError { EmitError(reason: .unknownNamespace(namespace)) }
    /// The socket is not connected (answering a server ack needs a connection).
    public static let notConnected = EmitError(reason: .notConnected)

    /// The reserved name, when that is why.
    public var reservedEventName: String? {
        if case .reservedEventName(let name) = self.reason { return name }
        return nil
    }

    /// The send buffer's limit, when that is why.
    public var sendBufferLimit: Int? {
        if case .sendBufferFull(let limit) = self.reason { return limit }
        return nil
    }

    public var description: String {
        switch self.reason {
        case .reservedEventName(let name): "\"\(name)\" is a reserved event name"
        case .sendBufferFull(let limit): "the send buffer is full (\(limit) packets)"
        case .unknownNamespace(let namespace): "no socket for namespace \(namespace)"
        case .notConnected: "the socket is not connected"
        }
    }
}

/// Why an acknowledgement will not come (compare with `==`, or `switch` over the static
/// values with a `default`).
public struct AckError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Reason: Sendable, Hashable {
        case timedOut, disconnected, closed
    }

    private let reason: Reason

    /// No ack within the timeout (reference: `operation has timed out`).
    public static let timedOut = AckError(reason: .timedOut)
    /// The socket disconnected after the packet was sent (reference: `socket has been disconnected`).
    public static let disconnected = AckError(reason: .disconnected)
    /// The socket was closed and removed.
    public static let closed = AckError(reason: .closed)

    public var description: String {
        switch self.reason {
        case .timedOut: "operation has timed out"
        case .disconnected: "socket has been disconnected"
        case .closed: "socket has been closed"
        }
    }
}
