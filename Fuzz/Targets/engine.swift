// Engine.IO decoding: a polling body (`PollingPayload.decode`) and each packet in it
// (`EnginePacket(decodingText:)`), the handshake of an open packet, and the base64 of binary
// packets. The input is the HTTP body as the driver hands it over: a String.
//
// Checks, besides "never crashes":
// - the payload decodes the same packets as decoding its records one by one, and stops at the
//   first bad record exactly when that record fails alone;
// - every decoded packet survives a round trip through `encodedText` and through its WebSocket
//   form, and a whole decoded payload through `PollingPayload.encode`;
// - base64 decoding is the inverse of encoding.

import SioJSON
import SioProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEngine(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let body = String(decoding: bytes, as: UTF8.self)
    let (packets, error) = PollingPayload.decode(body)

    // Record by record, as the reference's `decodePayload` does.
    let records = body.utf8.split(separator: 0x1E, omittingEmptySubsequences: false)
    var single: [EnginePacket] = []
    var singleError: EngineParseError?
    for record in records {
        do {
            single.append(try EnginePacket(decodingText: Substring(record)))
        } catch {
            singleError = error
            break
        }
    }
    check(packets == single && error == singleError, "payload and per-record decoding differ for \(escaped(body))")
    check(error != nil || packets.count == records.count, "packets lost without an error in \(escaped(body))")

    for packet in packets {
        check((try? EnginePacket(decodingText: packet.encodedText)) == packet, "encodedText round trip of \(packet)")
        check((try? EnginePacket(decodingWebSocket: packet.webSocketMessage)) == packet, "WebSocket round trip of \(packet)")
        if case .open(let json) = packet {
            // Only must not crash; whatever it says about the JSON is the JSON parser's business.
            _ = try? Handshake(json: json)
        }
    }
    if error == nil {
        let again = PollingPayload.decode(PollingPayload.encode(packets))
        check(again.error == nil && again.packets == packets, "PollingPayload.encode round trip of \(escaped(body))")
    }

    // Base64 both ways, on the raw bytes and on the text.
    check(Base64.decode(Base64.encode(bytes)) == bytes, "base64 round trip of \(escaped(bytes))")
    check(Base64.decode(Base64.encode(bytes, padding: false), paddingOptional: true) == bytes, "unpadded base64 round trip")
    if let decoded = Base64.decode(body, paddingOptional: true) {
        check(Base64.decode(Base64.encode(decoded)) == decoded, "base64 re-encoding of \(escaped(body))")
    }
    return 0
}
