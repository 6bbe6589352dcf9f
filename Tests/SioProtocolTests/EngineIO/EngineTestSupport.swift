@testable import SioProtocol

/// Shared fixtures for the engine transcripts.
enum EngineFixture {
    static let sid = "S1"
    static let handshakeJSON = #"{"sid":"S1","upgrades":["websocket"],"pingInterval":2000,"pingTimeout":1000,"maxPayload":1000000}"#
    static let handshake = Handshake(sid: "S1", upgrades: ["websocket"], pingInterval: 2000, pingTimeout: 1000, maxPayload: 1_000_000)
    static let wsHandshakeJSON = #"{"sid":"S1","upgrades":[],"pingInterval":2000,"pingTimeout":1000,"maxPayload":1000000}"#
    static let wsHandshake = Handshake(sid: "S1", upgrades: [], pingInterval: 2000, pingTimeout: 1000, maxPayload: 1_000_000)

    static func id(_ raw: UInt64) -> TransportID {
        TransportID(rawValue: raw)
    }

    static func text(_ text: String, compress: Bool = true) -> OutgoingMessage {
        OutgoingMessage(data: .text(text), compress: compress)
    }

    static func heartbeat(_ generation: UInt64) -> EngineTimer {
        .heartbeat(generation: generation)
    }

    /// A polling session without upgrade, opened at `now = 0` (transport 1, heartbeat 1,
    /// one GET in flight).
    static func openPolling(
        configuration: EngineConfiguration = EngineConfiguration(upgrade: false),
        handshakeJSON: String = EngineFixture.handshakeJSON
    ) -> EngineStateMachine {
        var machine = EngineStateMachine(configuration: configuration)
        _ = machine.open(now: 0)
        _ = machine.pollCompleted(Self.id(1), body: "0" + handshakeJSON, now: 0)
        return machine
    }

    /// A WebSocket-only session opened at `now = 0` (transport 1, heartbeat 1).
    static func openWebSocket() -> EngineStateMachine {
        var machine = EngineStateMachine(configuration: EngineConfiguration(transports: [.websocket]))
        _ = machine.open(now: 0)
        _ = machine.webSocketOpened(Self.id(1), now: 0)
        _ = machine.webSocketReceived(Self.id(1), .text("0" + Self.wsHandshakeJSON), now: 0)
        return machine
    }
}
