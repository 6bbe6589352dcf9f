import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SioJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A JSON-RPC 2.0 server on a Unix stream socket, one message per line (siod RPC).
///
/// ```swift
/// let server = RPCServer(listen: .path("/run/siod/siod.sock"), methods: ["daemon.ping": .task { _, _ in "pong" }])
/// try await server.start()        // binds; throws if another server is live there
/// try await server.run()          // serves until stop() or cancellation
/// ```
///
/// A connection's calls start in the order they arrive, on its event loop (``RPCMethod``); up
/// to ``RPCLimits/maxConcurrentRequestsPerClient`` may be in flight, and their responses are
/// written as they finish, so clients correlate by `id`. ``stop()`` is graceful: no new
/// connections, no new requests read, in-flight calls answered, then every connection closed.
public final class RPCServer: Sendable {
    /// Where to listen.
    public enum Listen: Sendable, Hashable {
        /// Bind this path: 0600, or 0660 with `group`; a stale socket file is replaced, a live
        /// one makes ``RPCServer/start()`` fail. The file is removed on stop.
        case path(String, group: UInt32? = nil)
        /// Adopt a descriptor already bound and listening (systemd socket activation); nothing
        /// is unlinked.
        case descriptor(CInt)
    }

    /// Where the server listens.
    public let listen: Listen
    /// The bounds it enforces.
    public let limits: RPCLimits
    private let methods: [String: RPCMethod]
    /// The unfinished lines of every connection, under ``RPCLimits/maxPendingBytes``.
    private let pending: PendingBytes
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let incoming: AsyncStream<RPCConnection>
    private let incomingContinuation: AsyncStream<RPCConnection>.Continuation

    private struct State {
        var listener: (any Channel)?
        var stopped = false
        var nextID = 1
        var connections: [Int: RPCConnection] = [:]
        var perUID: [UInt32: Int] = [:]
    }

    /// A server answering `methods`; runs on `group` (NIO's shared one by default).
    public init(
        listen: Listen,
        limits: RPCLimits = RPCLimits(),
        methods: [String: RPCMethod],
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "siod.rpc")
    ) {
        self.listen = listen
        self.limits = limits
        self.methods = methods
        self.pending = PendingBytes(limit: limits.maxPendingBytes) { over, total in
            if over {
                logger.notice(
                    "unfinished request lines reached --max-pending-bytes: their clients are not read until it falls back",
                    metadata: ["rpc.pending_bytes": "\(total)", "rpc.max_pending_bytes": "\(limits.maxPendingBytes)"]
                )
            } else {
                logger.info("unfinished request lines back under --max-pending-bytes", metadata: ["rpc.pending_bytes": "\(total)"])
            }
        }
        self.group = group
        self.logger = logger
        (self.incoming, self.incomingContinuation) = AsyncStream.makeStream()
    }

    /// The bytes of unfinished lines held for all connections now.
    public var pendingBytes: Int { self.pending.total }

    /// The connections open now.
    public var connections: [RPCConnection] {
        self.state.withLockedValue { Array($0.connections.values) }
    }

    // MARK: - Lifecycle

    /// The listen backlog: at least `maxClients`, so that a burst of connects waits in the
    /// queue instead of failing.
    private var backlog: Int32 { Int32(clamping: max(128, self.limits.maxClients)) }

    /// Starts listening. Connections are accepted at once and served once ``run()`` runs.
    public func start() async throws {
        let fd: CInt
        switch self.listen {
        case .path(let path, let group):
            fd = try UnixListener.bindAndListen(path: path, group: group, backlog: self.backlog)
        case .descriptor(let descriptor):
            fd = descriptor
        }
        let bootstrap = ServerBootstrap(group: self.group)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [self] channel in
                self.accept(channel)
            }
        let listener = try await bootstrap.withBoundSocket(fd).get()
        // NIO listens again on a descriptor it is given, with its default backlog of 128 (its
        // backlog option applies only to sockets it binds itself): set ours back. listen(2) on
        // a listening socket changes its backlog.
        #if canImport(Glibc)
        _ = Glibc.listen(fd, self.backlog)
        #elseif canImport(Musl)
        _ = Musl.listen(fd, self.backlog)
        #endif
        self.state.withLockedValue { $0.listener = listener }
        self.logger.info("rpc listening", metadata: ["rpc.listen": "\(self.listen)"])
    }

    /// Serves until ``stop()`` (or cancellation, which stops) and every connection has closed.
    public func run() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for await connection in self.incoming {
                    group.addTask { try? await connection.channel.closeFuture.get() }
                }
            }
        } onCancel: {
            self.stop()
        }
    }

    /// Stops gracefully: closes the listener (unlinking a path it bound), stops reading
    /// requests, and closes each connection once its in-flight calls are answered. ``run()``
    /// returns when all are closed.
    public func stop() {
        let (listener, connections, alreadyStopped) = self.state.withLockedValue { state in
            defer { state.stopped = true }
            return (state.listener, Array(state.connections.values), state.stopped)
        }
        guard !alreadyStopped else { return }
        listener?.close(promise: nil)
        if case .path(let path, _) = self.listen, listener != nil { unlink(path) }
        for connection in connections { connection.beginShutdown() }
        self.incomingContinuation.finish()
    }

    // MARK: - Connections

    private func accept(_ channel: any Channel) -> EventLoopFuture<Void> {
        Self.peerCredentials(of: channel).flatMap { peer in
            self.admit(channel, peer: peer)
        }
    }

    private func admit(_ channel: any Channel, peer: PeerCredentials?) -> EventLoopFuture<Void> {
        let limits = self.limits
        let admitted: Result<Int, RPCError> = self.state.withLockedValue { state in
            if state.stopped { return .failure(.overloaded("the server is stopping")) }
            if state.connections.count >= limits.maxClients {
                return .failure(.overloaded("more than \(limits.maxClients) clients"))
            }
            if let uid = peer?.uid, state.perUID[uid, default: 0] >= limits.maxClientsPerUID {
                return .failure(.overloaded("more than \(limits.maxClientsPerUID) clients of uid \(uid)"))
            }
            defer { state.nextID += 1 }
            if let uid = peer?.uid { state.perUID[uid, default: 0] += 1 }
            return .success(state.nextID)
        }
        let id: Int
        switch admitted {
        case .failure(let error):
            self.logger.notice("rpc client refused", metadata: ["rpc.reason": "\(error.message)"])
            return channel.pipeline.addHandler(RefuseHandler(line: RPCResponse(id: .null, outcome: .failure(error)).line))
        case .success(let value):
            id = value
        }
        let handler = RPCConnectionHandler(limits: limits, methods: self.methods, pending: self.pending)
        let connection = RPCConnection(id: id, peer: peer, handler: handler, channel: channel, limits: limits)
        handler.connection = connection
        self.state.withLockedValue { $0.connections[id] = connection }
        channel.closeFuture.whenComplete { _ in
            self.state.withLockedValue { state in
                state.connections[id] = nil
                if let uid = peer?.uid {
                    state.perUID[uid, default: 1] -= 1
                    if state.perUID[uid] == 0 { state.perUID[uid] = nil }
                }
            }
        }
        // The child channel's initializer runs on its event loop.
        do {
            try channel.pipeline.syncOperations.addHandler(handler)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        if case .terminated = self.incomingContinuation.yield(connection) { channel.close(promise: nil) }
        return channel.eventLoop.makeSucceededVoidFuture()
    }

    // MARK: - Peer credentials

    private static func peerCredentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials?> {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        // `struct ucred` (unix(7)) needs _GNU_SOURCE, so Glibc does not export it; same layout.
        struct UCred: Sendable {
            var pid: Int32 = 0
            var uid: UInt32 = 0
            var gid: UInt32 = 0
        }
        let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return future.flatMap { credentials in
            Self.peerGroups(provider).map { Optional(PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, groups: $0)) }
        }
        .recover { _ -> PeerCredentials? in nil }
        #else
        return channel.eventLoop.makeSucceededFuture(nil)
        #endif
    }

    #if os(Linux)
    /// The peer's supplementary groups (`SO_PEERGROUPS`, socket(7)). NIO reads an option into a
    /// value of fixed size and does not return the length the kernel wrote, so the count is
    /// learnt from the kernel's rules: a buffer too small for all the groups fails with
    /// `ERANGE` (a zero-size read succeeds only when there are none), and the list is sorted
    /// ascending (`groups_sort`), so zeros after a non-zero entry are the unused rest of the
    /// buffer. More than ``PeerGroupBuffer/capacity`` groups count as none: access is then
    /// by uid only, never wider.
    private static func peerGroups(_ provider: any SocketOptionProvider) -> EventLoopFuture<[UInt32]> {
        let name = SocketOptionName(SO_PEERGROUPS)
        let level = SocketOptionLevel(SOL_SOCKET)
        let none: EventLoopFuture<EmptyOption> = provider.unsafeGetSocketOption(level: level, name: name)
        return none.map { _ in [UInt32]() }.flatMapError { _ in
            let read: EventLoopFuture<PeerGroupBuffer> = provider.unsafeGetSocketOption(level: level, name: name)
            return read.map { buffer in
                let groups = withUnsafeBytes(of: buffer.storage) { Array($0.bindMemory(to: UInt32.self)) }
                guard let last = groups.lastIndex(where: { $0 != 0 }) else { return [0] }
                return Array(groups[...last])
            }
            .recover { _ in [] }
        }
    }
    #endif
}

/// Answers a refused client with one error line, then closes.
private final class RefuseHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let line: [UInt8]

    init(line: [UInt8]) { self.line = line }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(channel.allocator.buffer(bytes: self.line))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

#if os(Linux)
/// A socket option of no bytes: reading `SO_PEERGROUPS` into it succeeds only when the peer has
/// no supplementary groups.
private struct EmptyOption {}

/// Room for 64 group ids.
private struct PeerGroupBuffer {
    static let capacity = 64
    var storage: (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64
    ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}
#endif
