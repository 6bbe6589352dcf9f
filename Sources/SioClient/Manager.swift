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
/// The Manager does its work inside ``run()``, which the owner runs in a structured task
/// (a task group, or a `ServiceGroup`); one event pump there drives the protocol state machine,
/// and transports run as its child tasks. Nothing an application does with the events it
/// receives can stall a heartbeat.
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
    public let url: URL
    /// The options.
    public let options: ManagerOptions

    let input = ManagerInbox()
    let state: NIOLockedValueBox<SharedState>
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let engineURL: EngineURL

    struct SharedState: Sendable {
        var sockets: [String: Socket] = [:]
        var transport: TransportKind?
        var engineId: String?
        var running = false
        var reportsEnginePackets = false
    }

    /// The Manager's own events (`open`, `error`, `close`, `reconnect_attempt`, `upgrade`, …).
    /// One consumer; the newest 4096 are kept when nobody reads them. It ends at shutdown.
    public let events: AsyncStream<ManagerEvent>
    let eventSink: AsyncStream<ManagerEvent>.Continuation

    /// A Manager for the server at `url`.
    public init(
        url: String,
        options: ManagerOptions = ManagerOptions(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "sio.client")
    ) throws(ClientError) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              ["http", "https", "ws", "wss"].contains(scheme), let host = parsed.host, !host.isEmpty
        else { throw .invalidURL(url) }
        self.url = parsed
        self.options = options
        self.eventLoopGroup = eventLoopGroup
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
        (self.events, self.eventSink) = AsyncStream.makeStream(of: ManagerEvent.self, bufferingPolicy: .bufferingNewest(4096))
        self.state = NIOLockedValueBox(SharedState())
    }

    /// The socket for `namespace` on this Manager, made on first use (`manager.socket(nsp)`).
    /// Asking again for a namespace returns the same socket; `auth` then replaces its payload.
    /// `recovery` seeds connection state recovery with a session saved by an earlier run.
    public func socket(
        _ namespace: String = "/", auth: JSON? = nil, options: SocketOptions = SocketOptions(), recovery: Recovery? = nil
    ) throws(ClientError) -> Socket {
        guard namespace.hasPrefix("/"), !namespace.contains(",") else { throw .invalidNamespace(namespace) }
        var options = options
        if let auth { options.auth = .value(auth) }
        let (socket, created) = self.state.withLockedValue { state -> (Socket, Bool) in
            if let socket = state.sockets[namespace] { return (socket, false) }
            let socket = Socket(namespace: namespace, input: self.input, managerState: self.state)
            state.sockets[namespace] = socket
            return (socket, true)
        }
        if created {
            self.input.yield(.addSocket(socket, options, recovery: recovery))
        } else if let auth {
            self.input.yield(.setAuth(namespace, .value(auth)))
        }
        return socket
    }

    /// The transport in use, if connected.
    public var transport: TransportKind? { self.state.withLockedValue { $0.transport } }

    /// The Engine.IO session id, if connected.
    public var engineId: String? { self.state.withLockedValue { $0.engineId } }

    /// Whether ``events`` carries every Engine.IO packet received and sent
    /// (``ManagerEvent/enginePacket(_:_:)``); off by default, it costs a decode per packet.
    public var reportsEnginePackets: Bool {
        get { self.state.withLockedValue { $0.reportsEnginePackets } }
        set { self.state.withLockedValue { $0.reportsEnginePackets = newValue } }
    }

    /// `manager.open()`.
    public func open() { self.input.yield(.open) }

    /// `manager.close()`: closes the connection, no reconnection until ``open()``.
    public func close() { self.input.yield(.close) }

    /// Closes the connection as if it were lost (the reference's `socket.io.engine.close()`):
    /// sockets hear `forced close`, and the Manager reconnects.
    public func dropConnection() { self.input.yield(.dropConnection) }

    /// Ends ``run()`` after closing the connection; every waiting emit fails.
    public func shutdown() { self.input.yield(.shutdown(keepingSessions: [])) }

    /// Ends ``run()`` like ``shutdown()``, but the sockets of `namespaces` send no DISCONNECT:
    /// the connection just closes, so a server with connection state recovery keeps their
    /// sessions for a later process to recover (a DISCONNECT would end them for good).
    public func shutdown(keepingSessionsOf namespaces: Set<String>) {
        self.input.yield(.shutdown(keepingSessions: namespaces))
    }

    /// Runs the Manager until ``shutdown()`` or cancellation.
    public func run() async throws {
        let alreadyRunning = self.state.withLockedValue { state -> Bool in
            defer { state.running = true }
            return state.running
        }
        guard !alreadyRunning else { throw ClientError.alreadyRunning }
        let driver = ManagerDriver(manager: self)
        try await driver.run()
    }
}
