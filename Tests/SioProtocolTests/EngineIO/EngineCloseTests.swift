import Testing
@testable import SioProtocol

// Close reasons and what the owner gets back (docs/behaviour.md § Engine close reasons;
// docs/quirks.md #29).

@Suite struct EngineIOCloseTests {
    typealias F = EngineFixture

    @Test func close_pollingIdle_postsCloseThenClosesWhenItCompletes() {
        var m = F.openPolling()
        #expect(m.close(now: 10) == [.post(F.id(1), sid: "S1", body: "1")])
        #expect(m.readyState == .closing)
        #expect(!m.isWritable)
        #expect(m.send([F.text("refused")], now: 11) == [])
        // GET results are no longer delivered while closing, and no new GET is issued.
        #expect(m.pollCompleted(F.id(1), body: "4ignored\u{1e}2", now: 12) == [])
        #expect(m.postCompleted(F.id(1), now: 13) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.forcedClose, description: nil, unsent: [F.text("refused")], inFlight: [])),
        ])
        #expect(m.readyState == .closed)
        #expect(m.sid == nil)
        #expect(m.transport == nil)
        #expect(m.close(now: 14) == [])
    }

    @Test func close_pollingWithBuffer_drainsThenClosePacketInLastPost() {
        var m = F.openPolling()
        _ = m.send([F.text("a")], now: 1)
        _ = m.send([F.text("b"), F.text("c")], now: 2)
        #expect(m.close(now: 3) == [])
        #expect(m.postCompleted(F.id(1), now: 4) == [.post(F.id(1), sid: "S1", body: "4b\u{1e}4c\u{1e}1")])
        #expect(m.postCompleted(F.id(1), now: 5) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.forcedClose, description: nil, unsent: [], inFlight: [])),
        ])
    }

    @Test func close_pollingClosePacketRespectsPacketCap() {
        var m = F.openPolling(configuration: EngineConfiguration(upgrade: false, maxPacketsPerPayload: 2))
        _ = m.send([F.text("a")], now: 1)
        _ = m.send([F.text("b"), F.text("c")], now: 2)
        _ = m.close(now: 3)
        #expect(m.postCompleted(F.id(1), now: 4) == [.post(F.id(1), sid: "S1", body: "4b\u{1e}4c")])
        #expect(m.postCompleted(F.id(1), now: 5) == [.post(F.id(1), sid: "S1", body: "1")])
    }

    @Test func close_whileClosing_postFailsOrHeartbeat_stillForcedClose() {
        var failing = F.openPolling()
        _ = failing.send([F.text("a")], now: 1)
        _ = failing.close(now: 2)
        #expect(failing.postFailed(F.id(1), TransportError(message: "xhr post error", description: "400"), now: 3) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.forcedClose, description: nil, unsent: [], inFlight: [F.text("a")])),
        ])

        var stalled = F.openPolling()
        _ = stalled.close(now: 2)
        #expect(stalled.timerFired(F.heartbeat(1), now: 3000) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.forcedClose, description: nil, unsent: [], inFlight: [])),
        ])
    }

    @Test func close_webSocket_closesAtOnce() {
        var m = F.openWebSocket()
        #expect(m.close(now: 10) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.forcedClose, description: nil, unsent: [], inFlight: [])),
        ])
        #expect(m.webSocketClosed(F.id(1), description: nil, now: 11) == [])
    }

    @Test func close_whileOpening_reportsBufferedAsUnsent() {
        var m = EngineStateMachine(configuration: EngineConfiguration())
        _ = m.open(now: 0)
        _ = m.send([F.text("40")], now: 1)
        #expect(m.close(now: 2) == [
            .closeTransport(F.id(1)),
            .event(.close(.forcedClose, description: nil, unsent: [F.text("40")], inFlight: [])),
        ])
        #expect(m.pollCompleted(F.id(1), body: "0" + F.handshakeJSON, now: 3) == [])

        var idle = EngineStateMachine(configuration: EngineConfiguration())
        #expect(idle.close(now: 0) == [.event(.close(.forcedClose, description: nil, unsent: [], inFlight: []))])
        #expect(idle.open(now: 1) == [])
    }

    @Test func serverClose_overPolling_isTransportClose() {
        var m = F.openPolling()
        #expect(m.pollCompleted(F.id(1), body: "4last\u{1e}1\u{1e}4never", now: 10) == [
            .event(.message(.text("last"))),
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.transportClose, description: "transport closed by the server", unsent: [], inFlight: [])),
        ])
    }

    @Test func serverClose_overWebSocket_isIgnoredUntilSocketCloses() {
        var m = F.openWebSocket()
        #expect(m.webSocketReceived(F.id(1), .text("1"), now: 10) == [])
        #expect(m.readyState == .open)
        #expect(m.webSocketClosed(F.id(1), description: nil, now: 11) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.close(.transportClose, description: "websocket connection closed", unsent: [], inFlight: [])),
        ])
    }

    @Test func webSocketError_whenOpen_isTransportError() {
        var m = F.openWebSocket()
        #expect(m.webSocketFailed(F.id(1), TransportError(message: "websocket error"), now: 10) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.error(TransportError(message: "websocket error"))),
            .event(.close(.transportError, description: "websocket error", unsent: [], inFlight: [])),
        ])
        #expect(!m.priorWebSocketSuccess)
    }

    @Test func httpError_whenOpen_isErrorThenTransportErrorClose() {
        var m = F.openPolling()
        #expect(m.pollFailed(F.id(1), TransportError(message: "xhr poll error", description: "400"), now: 10) == [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.error(TransportError(message: "xhr poll error", description: "400"))),
            .event(.close(.transportError, description: "xhr poll error: 400", unsent: [], inFlight: [])),
        ])
    }

    @Test func garbage_isTransportErrorAfterValidPackets() {
        var m = F.openPolling()
        #expect(m.pollCompleted(F.id(1), body: "4hello\u{1e}zzz\u{1e}4after", now: 10) == [
            .event(.message(.text("hello"))),
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.error(TransportError(message: "parser error"))),
            .event(.close(.transportError, description: "parser error", unsent: [], inFlight: [])),
        ])
    }

    @Test func garbage_secondHandshakeOrBadFrames_neverCrash() {
        let closeOnParserError: [EngineAction] = [
            .cancelTimer(F.heartbeat(1)),
            .closeTransport(F.id(1)),
            .event(.error(TransportError(message: "parser error"))),
            .event(.close(.transportError, description: "parser error", unsent: [], inFlight: [])),
        ]
        for input in ["0" + F.wsHandshakeJSON, "", "9", "b***", "\u{1e}"] {
            var m = F.openWebSocket()
            #expect(m.webSocketReceived(F.id(1), .text(input), now: 10) == closeOnParserError)
        }
        for body in ["", "0{}", "\u{0}", "4ok\u{1e}"] {
            var m = F.openPolling()
            let actions = m.pollCompleted(F.id(1), body: body, now: 10)
            #expect(actions.last == .event(.close(.transportError, description: "parser error", unsent: [], inFlight: [])))
        }
    }

    @Test func ignoredPackets_noopPongUpgradeAnywhere() {
        var ws = F.openWebSocket()
        for text in ["6", "3", "3probe", "5"] {
            #expect(ws.webSocketReceived(F.id(1), .text(text), now: 10) == [])
        }
        var polling = F.openPolling()
        #expect(polling.pollCompleted(F.id(1), body: "6\u{1e}3\u{1e}5", now: 10) == [.get(F.id(1), sid: "S1")])
    }

    @Test func afterClose_everyEventIsIgnored() {
        var m = F.openPolling()
        _ = m.timerFired(F.heartbeat(1), now: 3000)
        #expect(m.readyState == .closed)
        #expect(m.open(now: 1) == [])
        #expect(m.send([F.text("x")], now: 1) == [])
        #expect(m.close(now: 1) == [])
        #expect(m.pollCompleted(F.id(1), body: "4x", now: 1) == [])
        #expect(m.pollFailed(F.id(1), TransportError(message: "xhr poll error"), now: 1) == [])
        #expect(m.postCompleted(F.id(1), now: 1) == [])
        #expect(m.postFailed(F.id(1), TransportError(message: "xhr post error"), now: 1) == [])
        #expect(m.webSocketOpened(F.id(2), now: 1) == [])
        #expect(m.webSocketReceived(F.id(2), .text("3probe"), now: 1) == [])
        #expect(m.webSocketClosed(F.id(2), description: nil, now: 1) == [])
        #expect(m.webSocketFailed(F.id(2), TransportError(message: "websocket error"), now: 1) == [])
        #expect(m.timerFired(F.heartbeat(1), now: 1) == [])
        #expect(!m.hasPingExpired(now: 1_000_000))
        #expect(!m.isWritable)
    }
}
