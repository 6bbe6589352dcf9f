import SioJSON

extension SocketPacket {
    /// What an observer may see of an outgoing Engine.IO message: a CONNECT's payload (the
    /// auth, with its tokens and siod's session ID) replaced by `{"redacted":"auth"}`. `nil`
    /// when the text is not a CONNECT with a payload, and must then be shown as it is.
    ///
    /// Read with the packet decoder (socket.io-protocol § Packet format), so a namespace or an
    /// event name that merely starts with `0` is never mistaken for a CONNECT.
    public static func redactingConnectAuth(_ text: String) -> String? {
        var decoder = SocketPacketDecoder(maxAttachments: 0)
        guard let packet = try? decoder.decode(text: text), packet.type == .connect, packet.data != nil else { return nil }
        return SocketPacket.connect(namespace: packet.namespace, auth: ["redacted": "auth"]).encodedText
    }
}
