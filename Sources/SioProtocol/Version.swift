/// Versions of siod and of the protocols it speaks.
public enum SiodVersion {
    /// siod's own version.
    public static let string = "0.1.0"
    /// The Engine.IO protocol revision (engine.io-protocol § Revision 4).
    public static let engineIOProtocol = 4
    /// The Socket.IO protocol revision (socket.io-protocol § Revision 5).
    public static let socketIOProtocol = 5
}
