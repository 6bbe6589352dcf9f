/// Names one transport instance of one `EngineStateMachine`: the handshake transport, a
/// fallback after `tryAllTransports`, an upgrade probe. Every instance gets a new id, and
/// events carrying an id the machine no longer uses are ignored, so a late answer from an
/// abandoned transport can never act on the current one.
public struct TransportID: Sendable, Hashable, CustomStringConvertible {
    /// The number; ids of one machine start at 1 and increase.
    public let rawValue: UInt64

    /// Wraps a raw value (tests and drivers that persist ids).
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public var description: String {
        "transport#\(self.rawValue)"
    }
}
