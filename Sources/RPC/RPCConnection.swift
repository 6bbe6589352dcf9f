import NIOConcurrencyHelpers
import NIOCore
import SioJSON

/// The peer process of a Unix socket connection (`SO_PEERCRED`, unix(7)).
public struct PeerCredentials: Sendable, Hashable {
    /// The peer's process id at connect time.
    public var pid: Int32
    /// The peer's effective user id.
    public var uid: UInt32
    /// The peer's effective group id.
    public var gid: UInt32
    /// The peer's supplementary groups as the kernel knew them at connect time
    /// (`SO_PEERGROUPS`), not as the user database says.
    public var groups: [UInt32]

    /// Credentials.
    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: [UInt32] = []) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// Whether the peer is in group `gid`, as its effective or a supplementary group.
    public func isMember(of gid: UInt32) -> Bool {
        self.gid == gid || self.groups.contains(gid)
    }
}

/// What a handler knows about the call it serves.
public struct RPCRequestContext: Sendable {
    /// The connection the call came on: its id, peer, and a way to notify it.
    public let connection: RPCConnection
    /// The call's id (`nil` for a notification).
    public let id: JSON?
    /// The method called.
    public let method: String

    /// The connection's id, unique for the server's life.
    public var connectionID: Int { self.connection.id }
    let followUps: FollowUps

    init(connection: RPCConnection, id: JSON?, method: String) {
        self.connection = connection
        self.id = id
        self.method = method
        self.followUps = FollowUps()
    }

    /// Runs `body` once this call's response is queued for writing (for a batch: once the
    /// batch's response is), so notifications it sends come after the response: how
    /// `events.subscribe` promises its response before any of its notifications. Runs even when
    /// the handler throws.
    public func afterResponse(_ body: @escaping @Sendable () -> Void) {
        self.followUps.append(body)
    }
    /// The peer's credentials, when the socket provides them.
    public var peer: PeerCredentials? { self.connection.peer }
}

/// The `afterResponse` actions of one call.
final class FollowUps: Sendable {
    private let actions = NIOLockedValueBox<[@Sendable () -> Void]>([])

    func append(_ body: @escaping @Sendable () -> Void) {
        self.actions.withLockedValue { $0.append(body) }
    }

    func run() {
        for action in self.actions.withLockedValue({ actions in defer { actions = [] }; return actions }) { action() }
    }
}

/// One client connection, as the daemon sees it. Every method may be called from any thread;
/// none blocks.
///
/// Output ordering: responses and notifications are written in the order they are produced.
/// Responses are never dropped. Notifications go through a bounded queue
/// (``RPCLimits/maxQueuedNotifications``, ``RPCLimits/maxQueuedNotificationBytes``): when a
/// slow reader lets it fill, the *oldest* queued notifications are dropped, and before the
/// next notification the connection sends
/// `{"jsonrpc":"2.0","method":"events.lagged","params":{"dropped":N}}`
/// (``RPCLimits/laggedNotificationMethod``), so the client learns where the gap is.
public final class RPCConnection: Sendable, CustomStringConvertible {
    /// Unique for the server's life, counting from 1.
    public let id: Int
    /// The peer's credentials (`nil` if the socket does not provide them).
    public let peer: PeerCredentials?
    /// The bounds this connection is served under.
    public let limits: RPCLimits
    let handler: NIOLoopBound<RPCConnectionHandler>
    let channel: any Channel
    /// Notification lines on their way to the event loop (see ``notify(line:)``).
    private let handoff = NIOLockedValueBox(Handoff())

    struct Handoff {
        var lines: [[UInt8]] = []
        var scheduled = false
    }

    init(id: Int, peer: PeerCredentials?, handler: RPCConnectionHandler, channel: any Channel, limits: RPCLimits = RPCLimits()) {
        self.id = id
        self.peer = peer
        self.limits = limits
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.channel = channel
    }

    /// Queues a notification `{"jsonrpc":"2.0","method":…,"params":…}` for this client.
    /// Never blocks; dropped silently once the connection is closed.
    public func notify(method: String, params: JSON? = nil) {
        self.notify(line: RPCNotification(method: method, params: params).line)
    }

    /// Queues a notification line made by ``RPCNotification/line(method:paramsText:)``, under
    /// the same bounds as ``notify(method:params:)``.
    ///
    /// Lines wait in a hand-off buffer; only the first line of a batch schedules a task on the
    /// connection's event loop, which takes every line queued by then and writes them with one
    /// flush. Under a firehose that is one wake-up and one `writev` per batch instead of per line.
    public func notify(line: [UInt8]) {
        let first = self.handoff.withLockedValue { handoff -> Bool in
            handoff.lines.append(line)
            defer { handoff.scheduled = true }
            return !handoff.scheduled
        }
        guard first else { return }
        let handler = self.handler
        let handoff = self.handoff
        self.channel.eventLoop.execute {
            let lines = handoff.withLockedValue { handoff -> [[UInt8]] in
                defer {
                    handoff.lines = []
                    handoff.scheduled = false
                }
                return handoff.lines
            }
            handler.value.enqueueNotifications(lines)
        }
    }

    /// Calls `body` on the connection's event loop once at most `count` notifications wait in
    /// its queue (at once if that is so now); never if the connection closes first. A producer
    /// with much to send (a journal replay) sends a part, then waits here for the next.
    public func whenQueuedNotifications(atMost count: Int, _ body: @escaping @Sendable () -> Void) {
        // After the lines handed off so far are queued: they count.
        self.channel.eventLoop.execute { [handler] in handler.value.whenQueued(atMost: count, body) }
    }

    /// Whether the connection stays open after the client half-closes (its write side ended,
    /// e.g. socat at end of input) and every response is written. The daemon sets it while the
    /// client has subscriptions; setting it back to `false` closes a half-closed connection.
    public func setKeepOpen(_ keepOpen: Bool) {
        // At once on the connection's own loop: a call that subscribes there must keep the
        // connection open before the client's end of input, read next, is handled.
        self.onLoop { $0.setKeepOpen(keepOpen) }
    }

    /// The connection is never closed for being idle from now on (it owns a socket that
    /// lives as long as it: `lifetime: "connection"`).
    public func exemptFromIdleTimeout() {
        self.onLoop { $0.exemptFromIdleTimeout() }
    }

    /// Runs `body` with the handler: at once on the connection's loop, else queued there.
    private func onLoop(_ body: @escaping @Sendable (RPCConnectionHandler) -> Void) {
        let handler = self.handler
        if self.channel.eventLoop.inEventLoop {
            body(handler.value)
        } else {
            self.channel.eventLoop.execute { body(handler.value) }
        }
    }

    /// The event loop the connection lives on.
    public var eventLoop: any EventLoop { self.channel.eventLoop }

    /// Whether the connection is still open.
    public var isOpen: Bool { self.channel.isActive }

    /// Closes the connection now; queued output not yet written is lost.
    public func close() {
        self.channel.close(promise: nil)
    }

    /// Runs `body` once the connection has closed (at once if it already has).
    public func onClose(_ body: @escaping @Sendable () -> Void) {
        self.channel.closeFuture.whenComplete { _ in body() }
    }

    /// `rpc#<id>`.
    public var description: String { "rpc#\(self.id)" }

    // MARK: - Server side

    /// Graceful stop: read no more, answer what is in flight, then close.
    func beginShutdown() {
        let handler = self.handler
        self.channel.eventLoop.execute { handler.value.beginShutdown() }
    }
}
