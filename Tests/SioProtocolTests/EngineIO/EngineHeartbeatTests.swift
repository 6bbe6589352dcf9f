import Testing
@testable import SioProtocol

// engine.io-protocol § Heartbeat; docs/behaviour.md § Heartbeat; docs/quirks.md #15, #16.

@Suite struct EngineIOHeartbeatTests {
    typealias F = EngineFixture

    @Test func ping_overWebSocket_answersResetsAndReports() {
        var m = F.openWebSocket()
        #expect(m.webSocketReceived(F.id(1), .text("2"), now: 2000) == [
            .cancelTimer(F.heartbeat(1)),
            .scheduleTimer(F.heartbeat(2), afterMilliseconds: 3000),
            .sendWebSocket(F.id(1), [.text("3")], compress: true),
            .event(.ping),
        ])
        // Other traffic does not reset the watchdog (docs/quirks.md #15).
        #expect(m.webSocketReceived(F.id(1), .text("4data"), now: 4000) == [.event(.message(.text("data")))])
        #expect(m.hasPingExpired(now: 5000) == false)
        #expect(m.hasPingExpired(now: 5001))
    }

    @Test func heartbeat_staleGenerationIgnored_currentClosesWithPingTimeout() {
        var m = F.openWebSocket()
        _ = m.webSocketReceived(F.id(1), .text("2"), now: 2000)
        #expect(m.timerFired(F.heartbeat(1), now: 3000) == [])
        #expect(m.readyState == .open)
        #expect(m.timerFired(F.heartbeat(2), now: 5000) == [
            .cancelTimer(F.heartbeat(2)),
            .closeTransport(F.id(1)),
            .event(.close(.pingTimeout, description: nil, unsent: [], inFlight: [])),
        ])
        #expect(m.readyState == .closed)
        #expect(m.timerFired(F.heartbeat(2), now: 5001) == [])
    }

    @Test func heartbeat_pollingTimeout_reportsInFlightAndUnsent() {
        var m = F.openPolling()
        _ = m.send([F.text("a")], now: 10)
        _ = m.send([F.text("b")], now: 11)
        #expect(m.timerFired(F.heartbeat(1), now: 3000) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.pingTimeout, description: nil, unsent: [F.text("b")], inFlight: [F.text("a")])),
        ])
    }

    @Test func send_afterDeadline_keepsMessagesAndClosesWithPingTimeout() {
        var m = F.openWebSocket()
        #expect(!m.hasPingExpired(now: 3000))
        #expect(m.send([F.text("late")], now: 3001) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.pingTimeout, description: nil, unsent: [F.text("late")], inFlight: [])),
        ])
        #expect(m.readyState == .closed)
        #expect(m.send([F.text("after")], now: 3002) == [])
    }

    @Test func ping_overPolling_pongQueuesBehindInFlightPost() {
        var m = F.openPolling()
        #expect(m.send([F.text("big")], now: 10) == [.post(F.id(1), sid: "S1", body: "4big")])
        #expect(m.pollCompleted(F.id(1), body: "2", now: 2000) == [
            .cancelTimer(F.heartbeat(1)),
            .scheduleTimer(F.heartbeat(2), afterMilliseconds: 3000),
            .event(.ping),
            .get(F.id(1), sid: "S1"),
        ])
        #expect(m.send([F.text("next")], now: 2001) == [])
        #expect(m.postCompleted(F.id(1), now: 2002) == [.post(F.id(1), sid: "S1", body: "3\u{1e}4next")])
    }
}
