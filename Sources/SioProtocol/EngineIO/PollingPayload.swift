/// An HTTP long-polling body: packets in text form joined by the record separator `\u{1e}`
/// (engine.io-protocol § HTTP long-polling, "Packet encoding"; engine.io-parser
/// `encodePayload` / `decodePayload`).
public enum PollingPayload {
    /// The record separator between packets of one body.
    public static let separator: Character = "\u{1e}"

    /// Joins the packets' `encodedText` with `\u{1e}`.
    public static func encode(_ packets: [EnginePacket]) -> String {
        packets.map(\.encodedText).joined(separator: String(Self.separator))
    }

    /// Splits a body on `\u{1e}` and decodes each packet, stopping at the first invalid one
    /// (engine.io-parser `decodePayload` pushes its error packet and breaks).
    ///
    /// Returns the packets decoded before the error, and the error if any. The number of
    /// packets is not limited: python-engineio puts any number into one GET response
    /// (docs/quirks.md #30). An empty body is one empty packet, hence
    /// an error, exactly as `"".split("\x1e")` is `[""]` in the reference.
    public static func decode(_ body: String) -> (packets: [EnginePacket], error: EngineParseError?) {
        var packets: [EnginePacket] = []
        let records = body.utf8.split(separator: 0x1E, omittingEmptySubsequences: false)
        for record in records {
            do {
                packets.append(try EnginePacket(decodingText: Substring(record)))
            } catch {
                return (packets, error)
            }
        }
        return (packets, nil)
    }
}
