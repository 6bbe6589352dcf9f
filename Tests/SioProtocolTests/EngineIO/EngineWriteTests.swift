import Testing
@testable import SioProtocol

// Polling POST batching (engine.io-client `_getWritablePackets`; docs/quirks.md #24, #30).

@Suite struct EngineIOWriteTests {
    typealias F = EngineFixture

    @Test func batching_maxPayload100_sendsFourPosts() {
        // engine.io-client test/connection.js: 99×a | 30×b,30×c,35×d | 33×€ | 99×f.
        var m = F.openPolling(
            handshakeJSON: #"{"sid":"S1","upgrades":[],"pingInterval":2000,"pingTimeout":1000,"maxPayload":100}"#
        )
        let texts = [
            String(repeating: "a", count: 99), String(repeating: "b", count: 30), String(repeating: "c", count: 30),
            String(repeating: "d", count: 35), String(repeating: "€", count: 33), String(repeating: "f", count: 99),
        ]
        let messages = texts.map { F.text($0) }
        #expect(m.send(messages, now: 1) == [.post(F.id(1), sid: "S1", body: "4" + texts[0])])
        #expect(m.postCompleted(F.id(1), now: 2) == [
            .post(F.id(1), sid: "S1", body: "4" + texts[1] + "\u{1e}4" + texts[2] + "\u{1e}4" + texts[3]),
        ])
        #expect(m.postCompleted(F.id(1), now: 3) == [.post(F.id(1), sid: "S1", body: "4" + texts[4])])
        #expect(m.postCompleted(F.id(1), now: 4) == [.post(F.id(1), sid: "S1", body: "4" + texts[5])])
        #expect(m.postCompleted(F.id(1), now: 5) == [])
        #expect(m.isWritable)
    }

    @Test func batching_writablePacketCount_formula() {
        let count = EngineStateMachine.writablePacketCount
        // A single oversized packet is still sent.
        #expect(count([.message(.text(String(repeating: "x", count: 500)))], 100, 16) == 1)
        // Binary counts ceil(n × 1.33): 60 bytes ⇒ 80; 1 + 80 + 2 + 18 = 101 > 100.
        #expect(count([.message(.binary(Array(repeating: 0, count: 60))), .message(.text(String(repeating: "y", count: 18)))], 100, 16) == 1)
        #expect(count([.message(.binary(Array(repeating: 0, count: 60))), .message(.text(String(repeating: "y", count: 17)))], 100, 16) == 2)
        // No maxPayload: only the packet cap applies.
        #expect(count(Array(repeating: .message(.text("z")), count: 20), nil, 16) == 16)
        #expect(count(Array(repeating: .message(.text("z")), count: 3), nil, 0) == 1)
    }

    @Test func batching_sixteenPacketCap_splitsTwentyMessages() {
        var m = F.openPolling()
        _ = m.send([F.text("first")], now: 1)
        let messages = (0..<20).map { F.text("m\($0)") }
        #expect(m.send(messages, now: 2) == [])
        #expect(!m.isWritable)
        #expect(m.postCompleted(F.id(1), now: 3) == [
            .post(F.id(1), sid: "S1", body: (0..<16).map { "4m\($0)" }.joined(separator: "\u{1e}")),
        ])
        #expect(m.postCompleted(F.id(1), now: 4) == [
            .post(F.id(1), sid: "S1", body: (16..<20).map { "4m\($0)" }.joined(separator: "\u{1e}")),
        ])
    }

    @Test func batching_configuredCap_isHonoured() {
        var m = F.openPolling(configuration: EngineConfiguration(upgrade: false, maxPacketsPerPayload: 2))
        #expect(m.send([F.text("a"), F.text("b"), F.text("c")], now: 1) == [
            .post(F.id(1), sid: "S1", body: "4a\u{1e}4b"),
        ])
        #expect(m.postCompleted(F.id(1), now: 2) == [.post(F.id(1), sid: "S1", body: "4c")])
    }

    @Test func polling_binaryMessage_isBase64() {
        var m = F.openPolling()
        #expect(m.send([OutgoingMessage(data: .binary([1, 2, 3, 4]))], now: 1) == [
            .post(F.id(1), sid: "S1", body: "bAQIDBA=="),
        ])
        #expect(m.pollCompleted(F.id(1), body: "bAQID", now: 2) == [
            .event(.message(.binary([1, 2, 3]))), .get(F.id(1), sid: "S1"),
        ])
    }

    @Test func polling_postError_closesWithTransportErrorAndInFlight() {
        var m = F.openPolling()
        _ = m.send([F.text("a")], now: 1)
        _ = m.send([F.text("b")], now: 2)
        #expect(m.postFailed(F.id(9), TransportError(message: "xhr post error"), now: 3) == [])
        #expect(m.postFailed(F.id(1), TransportError(message: "xhr post error", description: "413"), now: 3) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.error(TransportError(message: "xhr post error", description: "413"))),
            .event(.close(.transportError, description: "xhr post error: 413", unsent: [F.text("b")], inFlight: [F.text("a")])),
        ])
    }
}
