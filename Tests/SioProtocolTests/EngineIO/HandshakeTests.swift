import Testing
@testable import SioProtocol

// engine.io-protocol § Handshake; engine.io-client lib/socket.ts `onHandshake`.

@Suite struct EngineIOHandshakeTests {
    @Test func handshake_nodeServer_parses() throws {
        let handshake = try Handshake(
            json: #"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        )
        #expect(handshake == Handshake(sid: "lv_VI97HAXpY6yYWAAAC", upgrades: ["websocket"], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1_000_000))
    }

    @Test func handshake_pythonKeyOrder_parses() throws {
        let handshake = try Handshake(
            json: #"{"sid":"ejrnRJLDEiOurbsjAAAH","upgrades":["websocket"],"pingTimeout":1000,"pingInterval":2000,"maxPayload":1000000}"#
        )
        #expect(handshake.pingInterval == 2000)
        #expect(handshake.pingTimeout == 1000)
    }

    @Test func handshake_missingMaxPayloadAndUpgrades_defaults() throws {
        let handshake = try Handshake(json: #"{"pingTimeout":1,"sid":"s","pingInterval":2,"extra":{"a":[1]}}"#)
        #expect(handshake == Handshake(sid: "s", upgrades: [], pingInterval: 2, pingTimeout: 1, maxPayload: nil))
    }

    /// A server announcing a heartbeat of 69 years would leave a dead connection undetected
    /// as long: both times are capped at 10 minutes.
    @Test func handshake_pingTimes_areCappedAtTenMinutes() throws {
        let handshake = try Handshake(json: #"{"sid":"s","pingInterval":2176782336000,"pingTimeout":2176782336000}"#)
        #expect(handshake.pingInterval == 600_000 && handshake.pingTimeout == 600_000)
        #expect(try Handshake(json: #"{"sid":"s","pingInterval":600000,"pingTimeout":1}"#).pingInterval == 600_000)
    }

    @Test func handshake_invalid_throws() {
        for json in [
            "", "not json", "[]", #""sid""#, #"{"upgrades":[],"pingInterval":1,"pingTimeout":1}"#,
            #"{"sid":1,"pingInterval":1,"pingTimeout":1}"#, #"{"sid":"s","pingTimeout":1}"#,
            #"{"sid":"s","pingInterval":"25000","pingTimeout":1}"#, #"{"sid":"s","pingInterval":-1,"pingTimeout":1}"#,
            #"{"sid":"s","pingInterval":1,"pingTimeout":1,"upgrades":"websocket"}"#,
        ] {
            #expect(throws: EngineParseError.self) { try Handshake(json: json) }
        }
    }
}
