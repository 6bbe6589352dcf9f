import Testing
@testable import SioProtocol

// Polling → WebSocket upgrade (engine.io-protocol § Upgrade; docs/behaviour.md § Upgrade).

@Suite struct EngineIOUpgradeTests {
    typealias F = EngineFixture

    /// Polling open with the probe requested: polling = 1, probe = 2, GET in flight.
    static func probing() -> EngineStateMachine {
        F.openPolling(configuration: EngineConfiguration())
    }

    @Test func upgrade_happyPath_holdsWritesAndPongUntilSwap() {
        var m = Self.probing()
        #expect(m.webSocketOpened(F.id(2), now: 10) == [.sendWebSocket(F.id(2), [.text("2probe")], compress: true)])
        // A POST goes out on polling while the probe runs.
        #expect(m.send([F.text("a")], now: 11) == [.post(F.id(1), sid: "S1", body: "4a")])
        #expect(m.webSocketReceived(F.id(2), .text("3probe"), now: 12) == [.event(.upgrading(.websocket))])
        #expect(!m.isWritable)
        // Writes are held while upgrading, even with no POST in flight.
        #expect(m.send([F.text("b")], now: 13) == [])
        #expect(m.postCompleted(F.id(1), now: 14) == [])
        // The server flushes the GET with a ping and `6`: the pong is queued behind "b".
        #expect(m.pollCompleted(F.id(1), body: "2\u{1e}6", now: 15) == [
            .cancelTimer(F.heartbeat(1)),
            .scheduleTimer(F.heartbeat(2), afterMilliseconds: 3000),
            .event(.ping),
            .sendWebSocket(F.id(2), [.text("5")], compress: true),
            .closeTransport(F.id(1)),
            .event(.upgrade(.websocket)),
            .sendWebSocket(F.id(2), [.text("4b"), .text("3")], compress: true),
        ])
        #expect(m.transport == .websocket)
        #expect(m.isWritable)
        #expect(m.priorWebSocketSuccess)
        // The polling transport is gone; the WebSocket carries everything now.
        #expect(m.pollCompleted(F.id(1), body: "4late", now: 16) == [])
        #expect(m.webSocketReceived(F.id(2), .text("6"), now: 17) == [])
        #expect(m.send([F.text("c")], now: 18) == [.sendWebSocket(F.id(2), [.text("4c")], compress: true)])
        #expect(m.webSocketReceived(F.id(2), .text("4hi"), now: 19) == [.event(.message(.text("hi")))])
    }

    @Test func upgrade_noPostInFlight_swapsWhenGetReturns() {
        var m = Self.probing()
        _ = m.pollCompleted(F.id(1), body: "6", now: 5)  // GET in flight again
        _ = m.webSocketOpened(F.id(2), now: 10)
        #expect(m.webSocketReceived(F.id(2), .text("3probe"), now: 12) == [.event(.upgrading(.websocket))])
        #expect(m.pollCompleted(F.id(1), body: "6", now: 13) == [
            .sendWebSocket(F.id(2), [.text("5")], compress: true),
            .closeTransport(F.id(1)),
            .event(.upgrade(.websocket)),
        ])
    }

    @Test func upgrade_pausing_waitsForPostAfterGet() {
        var m = Self.probing()
        _ = m.webSocketOpened(F.id(2), now: 10)
        _ = m.send([F.text("a")], now: 11)
        _ = m.webSocketReceived(F.id(2), .text("3probe"), now: 12)
        // GET returns first: no new GET, still waiting for the POST.
        #expect(m.pollCompleted(F.id(1), body: "6", now: 13) == [])
        #expect(m.postCompleted(F.id(1), now: 14) == [
            .sendWebSocket(F.id(2), [.text("5")], compress: true),
            .closeTransport(F.id(1)),
            .event(.upgrade(.websocket)),
        ])
    }

    @Test func upgrade_wrongProbeAnswer_isProbeErrorAndPollingContinues() {
        var m = Self.probing()
        _ = m.webSocketOpened(F.id(2), now: 10)
        #expect(m.webSocketReceived(F.id(2), .text("4nope"), now: 11) == [
            .closeTransport(F.id(2)), .event(.upgradeError("probe error")),
        ])
        #expect(m.transport == .polling)
        #expect(m.webSocketReceived(F.id(2), .text("3probe"), now: 12) == [])
        #expect(m.send([F.text("a")], now: 13) == [.post(F.id(1), sid: "S1", body: "4a")])
        #expect(m.pollCompleted(F.id(1), body: "6", now: 14) == [.get(F.id(1), sid: "S1")])
    }

    @Test func upgrade_probeFailsOrClosesBeforeOpen_isProbeError() {
        var failed = Self.probing()
        #expect(failed.webSocketFailed(F.id(2), TransportError(message: "websocket error"), now: 5) == [
            .closeTransport(F.id(2)), .event(.upgradeError("probe error")),
        ])
        #expect(failed.readyState == .open)

        var closed = Self.probing()
        _ = closed.webSocketOpened(F.id(2), now: 5)
        #expect(closed.webSocketClosed(F.id(2), description: nil, now: 6) == [
            .closeTransport(F.id(2)), .event(.upgradeError("probe error")),
        ])
    }

    @Test func upgrade_probeFailsWhilePausing_resumesPollingAndFlushesHeldWrites() {
        var m = Self.probing()
        _ = m.webSocketOpened(F.id(2), now: 10)
        _ = m.webSocketReceived(F.id(2), .text("3probe"), now: 11)
        #expect(m.send([F.text("held")], now: 12) == [])
        #expect(m.pollCompleted(F.id(1), body: "6", now: 13) == [
            .sendWebSocket(F.id(2), [.text("5")], compress: true),
            .closeTransport(F.id(1)),
            .event(.upgrade(.websocket)),
            .sendWebSocket(F.id(2), [.text("4held")], compress: true),
        ])

        var failing = Self.probing()
        _ = failing.webSocketOpened(F.id(2), now: 10)
        _ = failing.send([F.text("a")], now: 11)
        _ = failing.webSocketReceived(F.id(2), .text("3probe"), now: 12)
        _ = failing.send([F.text("held")], now: 13)
        _ = failing.pollCompleted(F.id(1), body: "6", now: 14)
        #expect(failing.webSocketClosed(F.id(2), description: "1006", now: 15) == [
            .closeTransport(F.id(2)),
            .event(.upgradeError("probe error")),
            .get(F.id(1), sid: "S1"),
        ])
        #expect(failing.postCompleted(F.id(1), now: 16) == [.post(F.id(1), sid: "S1", body: "4held")])
    }

    @Test func upgrade_probeSendsOnlyProbeAndUpgrade() {
        var m = Self.probing()
        var probeWrites: [WebSocketMessage] = []
        func record(_ actions: [EngineAction]) {
            for case .sendWebSocket(let id, let messages, _) in actions where id == F.id(2) {
                probeWrites += messages
            }
        }
        record(m.webSocketOpened(F.id(2), now: 1))
        record(m.send([F.text("x")], now: 2))
        record(m.pollCompleted(F.id(1), body: "2", now: 3))
        record(m.webSocketReceived(F.id(2), .text("3probe"), now: 4))
        record(m.send([F.text("y")], now: 5))
        // The POST ("4x") and the GET are both still in flight.
        #expect(probeWrites == [.text("2probe")])
        record(m.postCompleted(F.id(1), now: 6))
        #expect(probeWrites == [.text("2probe")])
        record(m.pollCompleted(F.id(1), body: "6", now: 7))
        #expect(probeWrites == [.text("2probe"), .text("5"), .text("3"), .text("4y")])
    }

    @Test func upgrade_closeDuringProbe_isProbeErrorThenForcedClose() {
        var m = Self.probing()
        _ = m.webSocketOpened(F.id(2), now: 10)
        _ = m.webSocketReceived(F.id(2), .text("3probe"), now: 11)
        #expect(m.close(now: 12) == [
            .closeTransport(F.id(2)),
            .event(.upgradeError("probe error")),
            .post(F.id(1), sid: "S1", body: "1"),
        ])
        #expect(m.readyState == .closing)
        #expect(m.webSocketReceived(F.id(2), .text("4x"), now: 13) == [])
        #expect(m.postCompleted(F.id(1), now: 14) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.forcedClose, description: nil, unsent: [], inFlight: [])),
        ])
    }

    @Test func upgrade_engineClosesWhileProbing_reportsProbeError() {
        var m = Self.probing()
        _ = m.webSocketOpened(F.id(2), now: 10)
        #expect(m.pollFailed(F.id(1), TransportError(message: "xhr poll error", description: "400"), now: 11) == [
            .closeTransport(F.id(2)),
            .event(.upgradeError("probe error")),
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.error(TransportError(message: "xhr poll error", description: "400"))),
            .event(.close(.transportError, description: "xhr poll error: 400", unsent: [], inFlight: [])),
        ])
    }
}
