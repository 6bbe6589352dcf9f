/// Every bound the RPC server enforces, and what happens at it (docs/rpc.md § Framing and
/// limits). `daemon.info` reports these.
public struct RPCLimits: Sendable, Hashable {
    /// Longest request line in bytes; a longer one gets a `line_too_long` error (id null)
    /// and the connection closes.
    public var maxLineLength = 8 * 1024 * 1024
    /// Bytes of unfinished lines held for all connections together; beyond, the connections
    /// holding part of a line are not read until the total falls back (their bytes wait in
    /// the kernel).
    public var maxPendingBytes = 64 * 1024 * 1024
    /// Entries in one batch; a longer batch is answered with one `invalid_request` error and
    /// the connection stays usable.
    public var maxBatchEntries = 1000
    /// Calls of one client running at once; a call beyond gets an `overloaded` error.
    public var maxConcurrentRequestsPerClient = 64
    /// Connections at once; one beyond gets one `overloaded` error line and is closed. The
    /// listen backlog is at least this, so that a burst of connects is queued, not refused.
    public var maxClients = 256
    /// Connections of one uid at once; as ``maxClients``.
    public var maxClientsPerUID = 64
    /// Notifications queued for a client that is not reading; beyond, the oldest are dropped.
    public var maxQueuedNotifications = 10_000
    /// Bytes of queued notifications; beyond, the oldest are dropped (the newest is kept).
    public var maxQueuedNotificationBytes = 16 * 1024 * 1024
    /// How long a closing connection may take to flush what it owes to a peer that does not
    /// read (graceful stop, half-close, over-long line) before it is closed regardless.
    public var closeTimeout: Duration = .seconds(10)
    /// How long a connection may stay idle (no request in flight, no subscription, no
    /// `connection`-lifetime socket) before it is closed, freeing its client slot; `nil`: never.
    public var idleTimeout: Duration? = .seconds(300)
    /// The notification telling a client how many of its notifications were dropped
    /// (`{"dropped":N}`); `nil` drops silently.
    public var laggedNotificationMethod: String? = "events.lagged"

    /// The defaults.
    public init() {}
}
