/// Options of a Manager (one Engine.IO connection), named and defaulted as the reference client's
/// `ManagerOptions` (socket.io-client lib/manager.ts; docs/behaviour.md § Options and defaults).
///
/// docs/quirks.md #12, fixed: a value means what it says. `reconnectionAttempts: 0` makes no
/// attempt (the reference reads 0 as infinity), `reconnectionDelay: 0` retries at once (the
/// reference reads 0 as 1000). `nil` attempts is the reference's `Infinity`, `nil` timeout its
/// `false`. Negative delays, timeouts and attempt counts are read as 0.
public struct ManagerConfiguration: Sendable, Hashable {
    /// `reconnection`: reconnect after a lost connection or a failed first attempt.
    public var reconnection: Bool
    /// `reconnectionAttempts`: attempts after the first failure; nil for no limit.
    public var reconnectionAttempts: Int?
    /// `reconnectionDelay`, milliseconds.
    public var reconnectionDelay: Int64
    /// `reconnectionDelayMax`, milliseconds.
    public var reconnectionDelayMax: Int64
    /// `randomizationFactor`, 0…1.
    public var randomizationFactor: Double
    /// `timeout`: milliseconds for the Engine.IO handshake of each attempt; nil disables it.
    /// It does not cover the Socket.IO CONNECT reply.
    public var timeout: Int64?
    /// The Engine.IO options.
    public var engine: EngineConfiguration
    /// The most binary attachments one received packet may announce (reference 10).
    public var maxAttachments: Int
    /// Report every decoded packet as ``ManagerEvent/packet(_:)`` (the reference's `packet`
    /// event); off by default since it costs a copy per packet.
    public var reportsPackets: Bool
    /// Report every event a socket writes as ``SocketEvent/sent(_:)`` (the reference's
    /// `onAnyOutgoing` listeners); off by default.
    public var reportsOutgoing: Bool

    public init(
        reconnection: Bool = true,
        reconnectionAttempts: Int? = nil,
        reconnectionDelay: Int64 = 1000,
        reconnectionDelayMax: Int64 = 5000,
        randomizationFactor: Double = 0.5,
        timeout: Int64? = 20000,
        engine: EngineConfiguration = EngineConfiguration(),
        maxAttachments: Int = 10,
        reportsPackets: Bool = false,
        reportsOutgoing: Bool = false
    ) {
        self.reconnection = reconnection
        self.reconnectionAttempts = reconnectionAttempts
        self.reconnectionDelay = reconnectionDelay
        self.reconnectionDelayMax = reconnectionDelayMax
        self.randomizationFactor = randomizationFactor
        self.timeout = timeout
        self.engine = engine
        self.maxAttachments = maxAttachments
        self.reportsPackets = reportsPackets
        self.reportsOutgoing = reportsOutgoing
    }
}
