// Socket.IO decoding with binary reassembly: a sequence of Engine.IO messages fed to one
// `SocketPacketDecoder`, as the Manager feeds it.
//
// Input format: messages separated by the byte 0xFF (never part of valid UTF-8 text). The
// first message is text; each later one is a binary attachment, unless it starts with 0xFE,
// in which case the rest of it is another text message. So `51-["x",{"_placeholder":true,
// "num":0}]` 0xFF `\x01\x02` is a binary event and its attachment.
//
// Checks, besides "never crashes":
// - after any error the decoder waits for no attachment;
// - a text packet that announces attachments leaves the decoder waiting; one that completes
//   leaves it idle;
// - every completed packet re-encodes (`encoded()`) to messages that a fresh decoder turns
//   back into the same packet, and its arguments (with the attachments put back) parse;
// - the redaction of CONNECT auth reads the same text without crashing.

import SioJSON
import SioProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSocketPacket(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var messages: [EngineData] = []
    for (position, part) in bytes.split(separator: 0xFF, omittingEmptySubsequences: false).enumerated() {
        if position == 0 {
            messages.append(.text(String(decoding: part, as: UTF8.self)))
        } else if part.first == 0xFE {
            messages.append(.text(String(decoding: part.dropFirst(), as: UTF8.self)))
        } else {
            messages.append(.binary(Array(part)))
        }
    }

    var decoder = SocketPacketDecoder()
    for message in messages {
        if case .text(let text) = message {
            _ = SocketPacket.redactingConnectAuth(text)
        }
        let packet: SocketPacket?
        do {
            packet = try decoder.decode(message)
        } catch {
            check(!decoder.isReconstructing, "still reconstructing after \(error) on \(message)")
            continue
        }
        guard let packet else {
            check(decoder.isReconstructing, "no packet and nothing awaited after \(message)")
            continue
        }
        check(!decoder.isReconstructing, "a packet came out but attachments are still awaited")
        checkRoundTrip(packet)
    }
    return 0
}

/// A decoded packet means the same once encoded and decoded again.
private func checkRoundTrip(_ packet: SocketPacket) {
    // Bytes, not Characters: "/" followed by a combining mark is one Character.
    check(packet.namespace.utf8.first == UInt8(ascii: "/"), "namespace \(escaped(packet.namespace)) does not start with /")
    if !packet.type.isBinary {
        check(packet.attachments.isEmpty, "attachments on a non-binary packet")
    }
    switch packet.data {
    case .event(_, let arguments), .ack(let arguments):
        check((try? arguments.values()) != nil, "arguments of a decoded packet do not parse: \(arguments.text)")
        _ = arguments.lastStringArgument
    case .json, nil:
        break
    }

    let encoded = packet.encoded()
    var decoder = SocketPacketDecoder(maxAttachments: .max)
    var again: SocketPacket?
    for (index, message) in encoded.enumerated() {
        do {
            again = try decoder.decode(message)
        } catch {
            check(false, "re-encoded packet \(escaped(packet.encodedText)) fails to decode: \(error)")
        }
        check((again != nil) == (index == encoded.count - 1), "re-encoded packet completes at message \(index) of \(encoded.count)")
    }
    check(again == packet, "round trip changed \(packet) into \(String(describing: again)) via \(escaped(packet.encodedText))")
}
