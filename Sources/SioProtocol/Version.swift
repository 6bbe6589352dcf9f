/// The protocol revisions this implementation speaks.
public enum ProtocolRevision {
    /// Engine.IO (engine.io-protocol § Revision 4): the `EIO` query parameter.
    public static let engineIO = 4
    /// Socket.IO (socket.io-protocol § Revision 5).
    public static let socketIO = 5
}
