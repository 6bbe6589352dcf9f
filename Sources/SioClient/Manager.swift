import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SioJSON
import SioProtocol

/// A Socket.IO connection to one server: one Engine.IO session at a time, shared by the
/// sockets of every namespace, reconnected with backoff (socket.io-client `Manager`).
///
/// A Manager lives on one NIO event loop: its protocol state machine, its transports (channel
/// pipelines on that loop), its timers and the delivery of its events all run there,
/// synchronously, as SwiftNIO's own protocol handlers do. Calls from any thread hop to that
/// loop once, in the order they were made.
///
/// Events reach the application in one of two ways, chosen when the socket (or Manager) is
/// made: an `AsyncStream` (``Socket/events``, ``events``) for async code, or a handler called
/// on the Manager's event loop (``Manager/socket(_:auth:options:recovery:eventHandler:)``), for
/// code that lives on event loops itself (the daemon).
///
/// ```swift
/// let manager = try Manager(url: "http://127.0.0.1:3000")
/// let socket = try manager.socket("/", auth: ["token": "abc"])
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await manager.run() }
///     socket.connect()
///     for await event in socket.events { … }
/// }
/// ```
public final class Manager: Sendable {
    /// The server's base URL (`http`, `https`, `ws` or `wss`).
    public var url: URL { URL(string: self.urlString)! }
    /// The URL as given (a Foundation `URL` costs hundreds of bytes per Manager to keep).
    private let urlString: String
    /// The options.
    public let options: ManagerOptions
    /// The event loop the Manager lives on.
    public let eventLoop: any EventLoop

    let state: NIOLockedValueBox<SharedState>
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let engineURL: EngineURL
    let driver: ManagerDriver
    private let eventSink: EventSink<ManagerEvent>

    struct SharedState: Sendable {
        var sockets: [String: Socket] = [:]
        var transport: TransportKind?
        var engineId: String?
        var running = false
    }

    /// The Manager's own events (`open`, `error`, `close`, `reconnect_attempt`, `upgrade`, …).
    /// One consumer; the newest 4096 are kept when nobody reads them. It ends at shutdown.
    /// Empty when the Manager was made with an event handler.
    public var events: AsyncStream<ManagerEvent> { self.eventSink.stream }

    /// A Manager for the server at `url`, on an event loop of `eventLoopGroup` (or on
    /// `eventLoop` when given). With `eventHandler`, its events are handed to it on the
    /// Manager's event loop instead of ``events`` (it must not block).
    public init(
        url: String,
        options: ManagerOptions = ManagerOptions(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        eventLoop: (any EventLoop)? = nil,
        logger: Logger = Logger(label: "sio.client"),
        eventHandler: (@Sendable (ManagerEvent) -> Void)? = nil
    ) throws(ClientError) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              ["http", "https", "ws", "wss"].contains(scheme), let host = parsed.host, !host.isEmpty
        else { throw .invalidURL(url) }
        self.urlString = url
        self.options = options
        self.eventLoopGroup = eventLoopGroup
        self.eventLoop = eventLoop ?? eventLoopGroup.next()
        self.logger = logger
        var query: [(name: String, value: String)] = []
        if let items = URLComponents(url: parsed, resolvingAgainstBaseURL: false)?.queryItems {
            query += items.map { (name: $0.name, value: $0.value ?? "") }
        }
        query += options.query.map { (name: $0.0, value: $0.1) }
        self.engineURL = EngineURL(
            secure: scheme == "https" || scheme == "wss",
            host: host,
            port: parsed.port,
            path: options.path,
            addTrailingSlash: options.addTrailingSlash,
            query: query,
            timestampRequests: options.timestampRequests
        )
        self.eventSink = eventHandler.map { EventSink(handler: $0) } ?? EventSink(bufferingNewest: 4096)
        let state = NIOLockedValueBox(SharedState())
        self.state = state
        self.driver = ManagerDriver(
            eventLoop: self.eventLoop, eventLoopGroup: eventLoopGroup, options: options, engineURL: self.engineURL,
            logger: logger, state: state, events: self.eventSink
        )
    }

    /// The socket for `namespace` on this Manager, made on first use (`manager.socket(nsp)`).
    /// Asking again for a namespace returns the same socket; `auth` then replaces its payload.
    /// `recovery` seeds connection state recovery with a session saved by an earlier run.
    /// With `eventHandler`, the new socket's events are handed to it on the Manager's event
    /// loop instead of ``Socket/events`` (it must not block).
    public func socket(
        _ namespace: String = "/", auth: JSON? = nil, options: SocketOptions = SocketOptions(), recovery: Recovery? = nil,
        eventHandler: (@Sendable (SocketEvent) -> Void)? = nil
    ) throws(ClientError) -> Socket {
        guard NamespaceName.isValid(namespace) else { throw .invalidNamespace(namespace) }
        var options = options
        if let auth { options.auth = .value(auth) }
        let (socket, created) = self.state.withLockedValue { state -> (Socket, Bool) in
            if let socket = state.sockets[namespace] { return (socket, false) }
            let sink = eventHandler.map { EventSink<SocketEvent>(handler: $0) } ?? EventSink(unbounded: ())
            let socket = Socket(namespace: namespace, driver: self.driver, managerState: self.state, events: sink)
            state.sockets[namespace] = socket
            return (socket, true)
        }
        if created {
            self.driver.submit(.addSocket(socket, options, recovery: recovery))
        } else if let auth {
            self.driver.submit(.setAuth(namespace, .value(auth)))
        }
        return socket
    }

    /// The transport in use, if connected.
    public var transport: TransportKind? { self.state.withLockedValue { $0.transport } }

    /// The Engine.IO session id, if connected.
    public var engineId: String? { self.state.withLockedValue { $0.engineId } }

    /// Whether ``events`` carries the engine's events: every Engine.IO packet received and
    /// sent (``ManagerEvent/enginePacket(_:_:)``) and ``ManagerEvent/drain``; off by default,
    /// it costs a decode per packet and a promise per write.
    public var reportsEnginePackets: Bool {
        get { self.driver.reportsEnginePackets.withLockedValue { $0 } }
        set { self.driver.reportsEnginePackets.withLockedValue { $0 = newValue } }
    }

    /// From now on, every event a socket of this Manager writes is reported on its events as
    /// ``SocketEvent/sent(_:)``, in the order written (the reference's `onAnyOutgoing`), or no
    /// longer; the initial value is ``ManagerOptions/reportsOutgoingEvents``.
    public func reportOutgoingEvents(_ on: Bool) {
        self.driver.submit(.reportOutgoing(on))
    }

    /// `manager.open()`.
    public func open() { self.driver.submit(.open) }

    /// `manager.close()`: closes the connection, no reconnection until ``open()``.
    public func close() { self.driver.submit(.close) }

    /// Closes the connection as if it were lost (the reference's `socket.io.engine.close()`):
    /// sockets hear `forced close`, and the Manager reconnects.
    public func dropConnection() { self.driver.submit(.dropConnection) }

    /// Ends the Manager after closing the connection (``run()`` returns); every waiting emit
    /// fails, and calls made afterwards are refused with ``ClientError/notRunning``.
    public func shutdown() { self.shutdown(keepingSessionsOf: []) }

    /// Ends the Manager like ``shutdown()``, but the sockets of `namespaces` send no DISCONNECT:
    /// the connection just closes, so a server with connection state recovery keeps their
    /// sessions for a later process to recover (a DISCONNECT would end them for good).
    public func shutdown(keepingSessionsOf namespaces: Set<String>) {
        self.driver.submit(.shutdown(keepingSessions: namespaces))
    }

    /// Completes once the Manager has shut down and released its transports.
    public var shutdownFuture: EventLoopFuture<Void> { self.driver.finished.futureResult }

    /// Waits until ``shutdown()`` has ended the Manager; cancelling the waiting task shuts it
    /// down. The Manager works whether or not anything waits here: its calls and transports run
    /// on its event loop from the moment it is made.
    public func run() async throws {
        let alreadyRunning = self.state.withLockedValue { state -> Bool in
            defer { state.running = true }
            return state.running
        }
        guard !alreadyRunning else { throw ClientError.alreadyRunning }
        try await withTaskCancellationHandler {
            try await self.shutdownFuture.get()
        } onCancel: {
            self.shutdown()
        }
    }
}
