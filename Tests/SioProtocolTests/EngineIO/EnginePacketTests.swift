import Testing
@testable import SioProtocol

// engine.io-parser 5.2.3 vectors (docs/behaviour.md § Test vectors).

@Suite struct EngineIOPacketTests {
    @Test func encode_everyPacketType_matchesEngineIOParser() {
        #expect(EnginePacket.open(#"{"sid":"abc"}"#).encodedText == #"0{"sid":"abc"}"#)
        #expect(EnginePacket.close.encodedText == "1")
        #expect(EnginePacket.ping("").encodedText == "2")
        #expect(EnginePacket.pong("").encodedText == "3")
        #expect(EnginePacket.upgrade.encodedText == "5")
        #expect(EnginePacket.noop.encodedText == "6")
        #expect(EnginePacket.ping("probe").encodedText == "2probe")
        #expect(EnginePacket.pong("probe").encodedText == "3probe")
        #expect(EnginePacket.message(.text("hello")).encodedText == "4hello")
    }

    @Test func encode_binaryMessage_isRawFrameOverWebSocketAndBase64OverPolling() {
        let packet = EnginePacket.message(.binary([1, 2, 3, 4]))
        #expect(packet.webSocketMessage == .binary([1, 2, 3, 4]))
        #expect(packet.encodedText == "bAQIDBA==")
        #expect(EnginePacket.message(.text("hello")).webSocketMessage == .text("4hello"))
        #expect(EnginePacket.ping("probe").webSocketMessage == .text("2probe"))
    }

    @Test func decode_textPackets_roundTrip() throws {
        let packets: [EnginePacket] = [
            .open(#"{"sid":"abc"}"#), .close, .ping(""), .pong(""), .ping("probe"), .pong("probe"),
            .message(.text("hello")), .message(.text("")), .message(.binary([1, 2, 3, 4])), .upgrade, .noop,
        ]
        for packet in packets {
            #expect(try EnginePacket(decodingText: packet.encodedText) == packet)
            #expect(try EnginePacket(decodingWebSocket: packet.webSocketMessage) == packet)
        }
    }

    @Test func decode_bareMessage_isEmptyTextAndBareB_isEmptyBinary() throws {
        #expect(try EnginePacket(decodingText: "4") == .message(.text("")))
        #expect(try EnginePacket(decodingText: "b") == .message(.binary([])))
    }

    @Test func decode_anyBinaryFrame_isBinaryMessage() throws {
        #expect(try EnginePacket(decodingWebSocket: .binary([0x34, 0x68])) == .message(.binary([0x34, 0x68])))
        #expect(try EnginePacket(decodingWebSocket: .binary([])) == .message(.binary([])))
    }

    @Test func decode_dataOnDatalessTypes_isDropped() throws {
        #expect(try EnginePacket(decodingText: "1x") == .close)
        #expect(try EnginePacket(decodingText: "6noop") == .noop)
        #expect(try EnginePacket(decodingText: "5x") == .upgrade)
    }

    @Test func decode_unknownTypeOrEmpty_throwsParserError() {
        #expect(throws: EngineParseError.unknownPacketType("7")) { try EnginePacket(decodingText: "7") }
        #expect(throws: EngineParseError.unknownPacketType("x")) { try EnginePacket(decodingText: "x") }
        #expect(throws: EngineParseError.emptyPacket) { try EnginePacket(decodingText: "") }
        #expect(throws: EngineParseError.emptyPacket) { try EnginePacket(decodingWebSocket: .text("")) }
    }

    @Test func decode_badBase64_throws() {
        #expect(throws: EngineParseError.invalidBase64) { try EnginePacket(decodingText: "b!!!!") }
        #expect(throws: EngineParseError.invalidBase64) { try EnginePacket(decodingText: "bA") }
    }

    @Test func decode_unpaddedBase64_isAccepted() throws {
        #expect(try EnginePacket(decodingText: "bAQIDBA") == .message(.binary([1, 2, 3, 4])))
    }

    @Test func decode_unicodeText_keepsIt() throws {
        #expect(try EnginePacket(decodingText: "4€ 👍🏽") == .message(.text("€ 👍🏽")))
    }
}
