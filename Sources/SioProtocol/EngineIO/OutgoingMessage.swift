/// A `message` packet handed to the engine for sending (engine.io-protocol § Packet encoding,
/// "message"). Messages the engine never transmitted come back in `EngineEvent.close(…unsent:)`
/// (docs/quirks.md #29), where the Manager decodes them back into its Socket.IO packets (a
/// rare path) rather than keep a map from each message to its packet on every write.
public struct OutgoingMessage: Sendable, Hashable {
    /// The message's data.
    public var data: EngineData
    /// Per-message WebSocket compression wish (reference `compress` flag); ignored by polling.
    public var compress: Bool

    /// Creates an outgoing message.
    public init(data: EngineData, compress: Bool = true) {
        self.data = data
        self.compress = compress
    }
}
