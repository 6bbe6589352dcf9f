// Writing values as compact JSON text, as JavaScript's `JSON.stringify` does.

extension JSON {
    /// Appends the compact JSON text of this value to `out` (see ``serialized``); `.binary`
    /// is written as `{"$binary":"<standard base64>"}`.
    public func write(to out: inout [UInt8]) {
        var attachments: [[UInt8]]? = nil
        JSONWriter.write(self, to: &out, attachments: &attachments)
    }

    /// Appends the compact JSON text of this value to `out`, replacing each `.binary` by
    /// `{"_placeholder":true,"num":N}` and appending its bytes to `attachments`, where `N` is
    /// the attachment's index: depth-first, arrays in order, objects in member order
    /// (socket.io-parser `deconstructPacket`, socket.io-protocol § Binary).
    public func write(to out: inout [UInt8], attachments: inout [[UInt8]]) {
        var collected: [[UInt8]]? = attachments
        attachments = []
        JSONWriter.write(self, to: &out, attachments: &collected)
        attachments = collected ?? []
    }

    /// The compact JSON text, exactly as `JSON.stringify` writes it: no whitespace; `"`, `\`
    /// and control characters escaped, `/` and non-ASCII as they are; numbers as their text;
    /// `.binary` as `{"$binary":"<base64>"}`.
    public var serialized: String {
        var out: [UInt8] = []
        self.write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSON: CustomStringConvertible {
    /// The compact JSON text (``serialized``).
    public var description: String {
        self.serialized
    }
}
