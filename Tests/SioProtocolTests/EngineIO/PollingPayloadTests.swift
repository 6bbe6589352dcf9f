import Testing
@testable import SioProtocol

// engine.io-parser 5.2.3 `encodePayload` / `decodePayload` (docs/behaviour.md § Test vectors).

@Suite struct EngineIOPollingPayloadTests {
    @Test func encodePayload_joinsWithRecordSeparator() {
        #expect(PollingPayload.encode([.message(.text("hello")), .ping(""), .message(.text("world"))]) == "4hello\u{1e}2\u{1e}4world")
        #expect(PollingPayload.encode([.message(.text("hello")), .message(.binary([1, 2, 3, 4]))]) == "4hello\u{1e}bAQIDBA==")
        #expect(
            PollingPayload.encode([
                .message(.text(#"451-["baz",{"_placeholder":true,"num":0}]"#)), .message(.binary([1, 2, 3, 4])),
            ]) == #"4451-["baz",{"_placeholder":true,"num":0}]"# + "\u{1e}bAQIDBA=="
        )
        #expect(PollingPayload.encode([.message(.text("only"))]) == "4only")
    }

    @Test func decodePayload_roundTrips() {
        let packets: [EnginePacket] = [.message(.text("hello")), .ping(""), .message(.binary([1, 2, 3, 4])), .noop, .message(.text(""))]
        let decoded = PollingPayload.decode(PollingPayload.encode(packets))
        #expect(decoded.packets == packets)
        #expect(decoded.error == nil)
    }

    @Test func decodePayload_stopsAtFirstInvalidPacket() {
        let decoded = PollingPayload.decode("4hello\u{1e}zzz\u{1e}4after")
        #expect(decoded.packets == [.message(.text("hello"))])
        #expect(decoded.error == .unknownPacketType("z"))
    }

    @Test func decodePayload_invalidBodies_areErrors() {
        #expect(PollingPayload.decode("").packets.isEmpty)
        #expect(PollingPayload.decode("").error == .emptyPacket)
        #expect(PollingPayload.decode("7").error == .unknownPacketType("7"))
        #expect(PollingPayload.decode("x").error == .unknownPacketType("x"))
        #expect(PollingPayload.decode("4a\u{1e}\u{1e}4b").packets == [.message(.text("a"))])
        #expect(PollingPayload.decode("4a\u{1e}\u{1e}4b").error == .emptyPacket)
        #expect(PollingPayload.decode("4a\u{1e}").error == .emptyPacket)
        #expect(PollingPayload.decode("4a\u{1e}b%%").error == .invalidBase64)
    }

    @Test func decodePayload_acceptsUnboundedPacketCounts() {
        let body = Array(repeating: "4x", count: 41).joined(separator: "\u{1e}")
        let decoded = PollingPayload.decode(body)
        #expect(decoded.packets.count == 41)
        #expect(decoded.error == nil)
    }

    @Test func decodePayload_multiByteTextAroundSeparators() {
        let decoded = PollingPayload.decode("4€\u{1e}4é\u{301}\u{1e}4👍🏽")
        #expect(decoded.packets == [.message(.text("€")), .message(.text("é\u{301}")), .message(.text("👍🏽"))])
    }
}
