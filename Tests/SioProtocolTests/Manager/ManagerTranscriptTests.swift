import SioJSON
import Testing
@testable import SioProtocol

/// Manager transcripts: the engine's life, multiplexing and the reconnection loop
/// (docs/behaviour.md § Manager lifecycle).
@Suite struct ManagerTranscriptTests {
    @Test func open_multiplexesNamespacesOnOneEngine() throws {
        var h = ManagerHarness(sockets: [("/", SocketOptions(auth: .value(["token": "abc"]))), ("/admin", SocketOptions())])
        #expect(try h.run { try $0.connect("/", now: $1) } == ["open websocket"])
        #expect(try h.run { try $0.connect("/admin", now: $1) } == [], "one engine for every namespace")
        #expect(h.acceptWebSocket() == ["manager open", #"> 40{"token":"abc"}"#, "> 40/admin,"])
        #expect(h.server(#"42["welcome",{"hello":"world"}]"#) == [], "python-socketio emits before the CONNECT reply")
        #expect(h.server(#"40{"sid":"fuRF"}"#) == [#"/ event welcome [{"hello":"world"}]"#, "/ connect fuRF"])
        #expect(h.server(#"40/admin,{"sid":"XOFi"}"#) == ["/admin connect XOFi"])
        #expect(h.manager.engineId == "E1")
        #expect(h.socket("/").id == "fuRF" && h.socket("/admin").id == "XOFi")
        #expect(h.server(#"42/elsewhere,["x"]"#) == [], "packets for a namespace without a socket are dropped")
    }

    @Test func events_andAcksBothWays_binaryIncluded() throws {
        var h = ManagerHarness()
        h.connected()
        let (status, lines) = try h.emit("bin", [.binary([1, 2, 3, 4])], EmitOptions(ack: EmitToken(1)))
        #expect(status == .sent)
        #expect(lines == [#"> 451-0["bin",{"_placeholder":true,"num":0}]"#, "> <1,2,3,4>"])
        #expect(h.server(#"461-0[{"_placeholder":true,"num":0}]"#) == [])
        #expect(h.server(binary: [9, 8]) == [#"ack 1 [{"_placeholder":true,"num":0}]"#].map { "/ " + $0 })
        #expect(h.server(#"4212["question",1]"#) == [#"/ event question [1] ack 12"#])
        #expect(try h.run { try $0.sendAck("/", ackId: 12, EventArguments(["answer"]), now: $1) } == [#"> 4312["answer"]"#])
    }

    /// A CONNECT the server never answers: `connect_error` `timeout` after the Manager's
    /// `timeout`, the CONNECT again after `reconnectionDelay`, and the late reply accepted.
    /// (The reference leaves such a socket connecting forever.)
    @Test func namespaceConnect_unanswered_timesOutAndRetries() throws {
        // Within the handshake's heartbeat (2 s + 1 s): a timeout of 500 ms, a retry 100 ms on.
        var h = ManagerHarness(ManagerConfiguration(reconnectionDelay: 100, timeout: 500, engine: EngineConfiguration(transports: [.websocket])))
        _ = try h.run { try $0.connect("/", now: $1) }
        h.acceptWebSocket()
        #expect(h.socket().state == .connecting)
        #expect(h.advance(to: 499) == [])
        #expect(h.advance(to: 500) == ["/ connect_error timeout"])
        #expect(h.socket().state == .awaitingManager && h.socket().isActive)
        #expect(h.advance(to: 600) == ["> 40"], "sent again after reconnectionDelay")
        #expect(h.server(#"40{"sid":"S"}"#) == ["/ connect S"])
        #expect(h.timer { if case .namespaceConnect = $0 { true } else { false } } == nil, "answered: its timeout is cancelled")
    }

    @Test func namespaceConnect_timers_endWithTheEngine() throws {
        var h = ManagerHarness()
        _ = try h.run { try $0.connect("/", now: $1) }
        h.acceptWebSocket()
        _ = h.webSocketCloses()
        #expect(h.timer { if case .namespaceConnect = $0 { true } else { false } } == nil)
    }

    // MARK: - Disconnect reasons (docs/behaviour.md § Disconnect reasons), one transcript per row

    @Test func disconnectReason_ioServerDisconnect_noReconnect() {
        var h = ManagerHarness()
        h.connected()
        #expect(h.server("41") == ["/ disconnect io server disconnect", "close transport", "manager close forced close"])
        #expect(!h.socket().isActive)
        #expect(h.manager.state == .closed)
        #expect(h.timers.isEmpty, "no reconnection, no heartbeat left behind")
    }

    @Test func disconnectReason_ioClientDisconnect_noReconnect() throws {
        var h = ManagerHarness()
        h.connected()
        let lines = try h.run { try $0.disconnect("/", now: $1) }
        #expect(Array(lines.prefix(2)) == ["> 41", "/ disconnect io client disconnect"])
        #expect(lines.contains("manager close forced close"))
        #expect(!h.socket().isActive)
        #expect(h.manager.state == .closed && h.timers.isEmpty)
    }

    @Test func disconnectReason_pingTimeout_reconnects() {
        var h = ManagerHarness()
        h.connected()
        h.advance(to: 1000)
        #expect(h.server("2") == ["> 3", "manager ping"])
        #expect(h.advance(to: 3500).isEmpty, "the ping at 1000 reset the watchdog to 1000 + 2000 + 1000")
        #expect(h.advance(to: 4000) == ["close transport", "manager close ping timeout", "/ disconnect ping timeout"])
        #expect(h.socket().isActive)
        #expect(h.manager.state == .waitingToReconnect)
    }

    @Test func disconnectReason_transportClose_reconnects() {
        var h = ManagerHarness()
        h.connected()
        #expect(h.webSocketCloses() == ["close transport", "manager close transport close", "/ disconnect transport close"])
        #expect(h.socket().isActive && h.manager.state == .waitingToReconnect)
    }

    @Test func disconnectReason_transportError_reconnects() {
        var h = ManagerHarness()
        h.connected()
        #expect(h.webSocketFails() == ["close transport", "manager error websocket error", "manager close transport error", "/ disconnect transport error"])
        #expect(h.socket().isActive && h.manager.state == .waitingToReconnect)
    }

    @Test func disconnectReason_parseError_reconnects() {
        var h = ManagerHarness()
        h.connected()
        #expect(h.server(#"42["disconnect"]"#) == ["close transport", "manager close parse error", "/ disconnect parse error"])
        #expect(h.socket().isActive && h.manager.state == .waitingToReconnect)
    }

    @Test func disconnectReason_forcedClose_engineAlone_reconnects() {
        var h = ManagerHarness()
        h.connected()
        #expect(h.run { $0.dropConnection(now: $1) } == ["close transport", "manager close forced close", "/ disconnect forced close"])
        #expect(h.manager.state == .waitingToReconnect)
    }

    @Test func disconnectReason_forcedClose_managerClose_staysClosed() {
        var h = ManagerHarness()
        h.connected()
        #expect(h.run { $0.close(now: $1) } == ["close transport", "manager close forced close", "/ disconnect forced close"])
        #expect(h.manager.state == .closed && h.timers.isEmpty)
        #expect(h.socket().isActive, "sockets stay active and reconnect on the next open")
        #expect(h.run { $0.open(now: $1) } == ["open websocket"])
        #expect(h.acceptWebSocket() == ["manager open", "> 40"])
    }

    @Test func disconnectReasons_reconnectColumn() {
        let reconnecting = DisconnectReason.allCases.filter(\.reconnects).map(\.rawValue)
        #expect(reconnecting == ["ping timeout", "transport close", "transport error", "parse error", "forced close"])
    }

    // MARK: - connect_error (docs/behaviour.md § connect_error causes), one transcript per row

    @Test func connectError_handshakeFailed_staysActive_andRetries() throws {
        var h = ManagerHarness(ManagerConfiguration(reconnectionDelay: 300, randomizationFactor: 0, engine: EngineConfiguration(transports: [.websocket])))
        try h.run { try $0.connect("/", now: $1) }
        #expect(h.webSocketFails() == ["close transport", "manager error websocket error", "/ connect_error websocket error"])
        #expect(h.socket().isActive)
        #expect(h.timer { if case .reconnect = $0 { true } else { false } } == 300)
    }

    @Test func connectError_timeout() throws {
        var h = ManagerHarness(ManagerConfiguration(timeout: 1500, engine: EngineConfiguration(transports: [.websocket])))
        try h.run { try $0.connect("/", now: $1) }
        let lines = h.advance(to: 1500)
        #expect(lines == ["close transport", "manager error timeout", "/ connect_error timeout"])
        #expect(h.socket().isActive && h.manager.state == .waitingToReconnect)
    }

    @Test func connectError_timeoutZero_failsImmediately() throws {
        var h = ManagerHarness(ManagerConfiguration(reconnection: false, timeout: 0, engine: EngineConfiguration(transports: [.websocket])))
        try h.run { try $0.connect("/", now: $1) }
        #expect(h.advance(to: 0).contains("manager error timeout"))
    }

    @Test func connectError_noTransports() throws {
        var h = ManagerHarness(ManagerConfiguration(reconnection: false, engine: EngineConfiguration(transports: [])))
        let lines = try h.run { try $0.connect("/", now: $1) }
        #expect(lines.suffix(2) == ["manager error No transports available", "/ connect_error No transports available"])
        #expect(h.socket().isActive)
    }

    @Test func connectError_engineErrorAfterOpen_beforeConnectReply_thenDisconnect() throws {
        var h = ManagerHarness()
        try h.run { try $0.connect("/", now: $1) }
        h.acceptWebSocket()
        #expect(h.webSocketFails() == [
            "close transport", "manager error websocket error", "/ connect_error websocket error",
            "manager close transport error", "/ disconnect transport error",
        ])
        #expect(h.socket().isActive && h.manager.state == .waitingToReconnect)
    }

    @Test func connectError_middlewareRefusal_deactivates_noReconnect_thenManualConnectWorks() throws {
        var h = ManagerHarness(sockets: [("/", SocketOptions()), ("/admin", SocketOptions(auth: .value(["token": "bad"])))])
        h.connected()
        try h.run { try $0.connect("/admin", now: $1) }
        #expect(h.server(#"44/admin,{"message":"not authorized","data":{"code":42}}"#) == ["/admin connect_error not authorized"])
        #expect(!h.socket("/admin").isActive)
        #expect(h.manager.state == .open, "the main namespace keeps the engine")
        try h.manager.setAuth("/admin", .value(["token": "ok"]))
        #expect(try h.run { try $0.connect("/admin", now: $1) } == [#"> 40/admin,{"token":"ok"}"#])
        #expect(h.server(#"40/admin,{"sid":"A2"}"#) == ["/admin connect A2"])
    }

    @Test func connectError_lastSocketRefused_closesTheEngine() throws {
        var h = ManagerHarness()
        try h.run { try $0.connect("/", now: $1) }
        h.acceptWebSocket()
        let lines = h.server(#"44{"message":"Invalid namespace"}"#)
        #expect(lines.first == "/ connect_error Invalid namespace")
        #expect(lines.contains("manager close forced close"))
        #expect(h.manager.state == .closed && h.timers.isEmpty)
    }

    @Test func connectError_v2Server() throws {
        var h = ManagerHarness()
        try h.run { try $0.connect("/", now: $1) }
        h.acceptWebSocket()
        let lines = h.server("40{}")
        #expect(lines.count == 1 && lines[0].hasPrefix("/ connect_error It seems you are trying to reach a Socket.IO server in v2.x"))
        #expect(h.socket().isActive)
    }

    // MARK: - Reconnection

    @Test func reconnectionAttemptsExhausted_traceA5() throws {
        var h = ManagerHarness(ManagerConfiguration(
            reconnectionAttempts: 2, reconnectionDelay: 300, reconnectionDelayMax: 1200, randomizationFactor: 0,
            engine: EngineConfiguration(transports: [.websocket])
        ))
        try h.run { try $0.connect("/", now: $1) }
        h.webSocketFails()
        #expect(h.advance(to: 300) == ["manager reconnect_attempt 1", "open websocket"])
        #expect(h.webSocketFails() == ["close transport", "manager error websocket error", "/ connect_error websocket error", "manager reconnect_error websocket error"])
        #expect(h.timer { if case .reconnect = $0 { true } else { false } } == 900, "600 ms after the failure at 300")
        #expect(h.advance(to: 900) == ["manager reconnect_attempt 2", "open websocket"])
        #expect(h.webSocketFails() == [
            "close transport", "manager error websocket error", "/ connect_error websocket error",
            "manager reconnect_failed", "manager reconnect_error websocket error",
        ])
        #expect(h.timers.isEmpty)
        #expect(h.socket().isActive, "docs/quirks.md #13, kept: active, nothing retries until connect")
        #expect(try h.run { try $0.connect("/", now: $1) } == ["open websocket"])
    }

    @Test func reconnect_afterPingTimeout_flushesBufferedEmits_traceA4() throws {
        var h = ManagerHarness(ManagerConfiguration(
            reconnectionDelay: 300, reconnectionDelayMax: 1200, randomizationFactor: 0, timeout: 1500,
            engine: EngineConfiguration(transports: [.websocket])
        ))
        h.connected()
        h.server("2")
        h.advance(to: 3000)
        // In the disconnect handler: an emit with ack, a volatile one, one with a long timeout.
        #expect(try h.emit("echo", ["buffered-1"], EmitOptions(ack: EmitToken(1))).0 == .buffered)
        #expect(try h.emit("echo", ["volatile-dropped"], EmitOptions(volatile: true)).0 == .dropped)
        #expect(try h.emit("echo", ["buffered-2"], EmitOptions(ack: EmitToken(2), timeout: 100_000)).0 == .buffered)
        #expect(h.advance(to: 3300) == ["manager reconnect_attempt 1", "open websocket"])
        // The server is frozen: the attempt times out.
        #expect(h.advance(to: 4800) == ["close transport", "manager error timeout", "/ connect_error timeout", "manager reconnect_error timeout"])
        #expect(h.advance(to: 5400) == ["manager reconnect_attempt 2", "open websocket"])
        #expect(h.acceptWebSocket() == ["manager open", "> 40", "manager reconnect 2"])
        #expect(h.server(#"42["welcome"]"#) == [])
        #expect(h.server(#"40{"sid":"S2"}"#) == [
            "/ event welcome []", #"> 420["echo","buffered-1"]"#, #"> 421["echo","buffered-2"]"#, "/ connect S2",
        ])
        #expect(h.server(#"430["buffered-1"]"#) == [#"/ ack 1 ["buffered-1"]"#])
        #expect(h.manager.reconnectionAttempts == 0, "reset after a successful reconnection")
    }

    @Test func connectWhileWaitingToReconnect_attemptsNow_andTheLoopSurvives_quirk1() throws {
        var h = ManagerHarness(ManagerConfiguration(randomizationFactor: 0, engine: EngineConfiguration(transports: [.websocket])))
        h.connected()
        h.webSocketCloses()
        #expect(try h.run { try $0.connect("/", now: $1) } == ["manager reconnect_attempt 1", "open websocket"])
        #expect(h.advance(to: 1000).isEmpty, "the old backoff timer is gone")
        h.acceptWebSocket()
        h.server(#"40{"sid":"S2"}"#)
        #expect(h.webSocketCloses() == ["close transport", "manager close transport close", "/ disconnect transport close"])
        #expect(h.manager.state == .waitingToReconnect, "the next loss still reconnects")
        #expect(h.advance(to: 3000) == ["manager reconnect_attempt 1", "open websocket"])
    }

    @Test func reconnectionDisabled_neverRetries() throws {
        var h = ManagerHarness(ManagerConfiguration(reconnection: false, engine: EngineConfiguration(transports: [.websocket])))
        try h.run { try $0.connect("/", now: $1) }
        h.webSocketFails()
        #expect(h.timers.isEmpty && h.manager.state == .closed)
        h.manager = ManagerStateMachine(configuration: ManagerConfiguration(reconnection: false, engine: EngineConfiguration(transports: [.websocket])), random: ScriptedRandom([0]))
        try h.manager.addSocket("/")
        h.connected()
        h.webSocketCloses()
        #expect(h.timers.isEmpty && h.manager.state == .closed)
        #expect(h.socket().isActive)
    }

    @Test func staleTimers_areIgnored() throws {
        var h = ManagerHarness(ManagerConfiguration(randomizationFactor: 0, engine: EngineConfiguration(transports: [.websocket])))
        h.connected()
        #expect(h.run { $0.timerFired(.engine(generation: 0, .heartbeat(generation: 1)), now: $1) } == [])
        #expect(h.run { $0.timerFired(.reconnect(generation: 99), now: $1) } == [])
        #expect(h.run { $0.timerFired(.connectTimeout(generation: 1), now: $1) } == [], "the attempt already opened")
        #expect(h.run { $0.timerFired(.ack(namespace: "/", ackId: 42), now: $1) } == [])
        #expect(h.manager.state == .open)
    }

    @Test func emitAfterPingDeadline_isBuffered_andClosesWithPingTimeout() throws {
        var h = ManagerHarness()
        h.connected()
        h.now = 5000  // suspended: the heartbeat timer never fired
        let (status, lines) = try h.emit("late")
        #expect(status == .buffered)
        #expect(lines == ["close transport", "manager close ping timeout", "/ disconnect ping timeout"])
    }

    @Test func lastSocketLeaving_closesTheEngine_othersKeepIt() throws {
        var h = ManagerHarness(sockets: [("/", SocketOptions()), ("/admin", SocketOptions())])
        h.connected()
        try h.run { try $0.connect("/admin", now: $1) }
        h.server(#"40/admin,{"sid":"A"}"#)
        #expect(try h.run { try $0.disconnect("/admin", now: $1) } == ["> 41/admin,", "/admin disconnect io client disconnect"])
        #expect(h.manager.state == .open)
        let lines = h.run { $0.removeSocket("/", now: $1) }
        #expect(lines == ["> 41", "/ disconnect io client disconnect", "close transport", "manager close forced close"])
        #expect(h.manager.namespaces == ["/admin"])
    }

    @Test func outgoingEvents_areReportedWhenWritten_onAnyOutgoing() throws {
        var h = ManagerHarness(ManagerConfiguration(engine: EngineConfiguration(transports: [.websocket]), reportsOutgoing: true))
        try h.run { try $0.connect("/", now: $1) }
        h.acceptWebSocket()
        #expect(try h.emit("early", [1]).1 == [], "buffered: not written yet")
        #expect(h.server(#"40{"sid":"S"}"#) == [#"> 42["early",1]"#, #"/ sent early [1]"#, "/ connect S"])
        #expect(try h.emit("now", [], EmitOptions(ack: EmitToken(1))).1 == [#"> 420["now"]"#, "/ sent now [] ack 0"])
    }

    @Test func namespaces_mustStartWithSlash_andBeUnique() {
        var manager = ManagerStateMachine(random: ScriptedRandom([0]))
        #expect(throws: ManagerError.invalidNamespace("admin")) { try manager.addSocket("admin") }
        #expect(throws: Never.self) { try manager.addSocket("/admin") }
        #expect(throws: ManagerError.namespaceInUse("/admin")) { try manager.addSocket("/admin") }
        #expect(throws: EmitError.unknownNamespace("/x")) { try manager.emit("/x", "e", .empty, now: 0) }
    }

    @Test func recovery_acrossAForcedClose() throws {
        var h = ManagerHarness(ManagerConfiguration(randomizationFactor: 0, engine: EngineConfiguration(transports: [.websocket])))
        try h.run { try $0.connect("/", now: $1) }
        h.acceptWebSocket()
        h.server(#"40{"sid":"S","pid":"P"}"#)
        h.server(#"42["foo","OFF1"]"#)
        h.run { $0.dropConnection(now: $1) }
        h.advance(to: 1000)
        #expect(h.acceptWebSocket() == ["manager open", #"> 40{"pid":"P","offset":"OFF1"}"#, "manager reconnect 1"])
        h.server(#"42["missed","OFF2"]"#)
        #expect(h.server(#"40{"sid":"S","pid":"P"}"#) == [#"/ event missed ["OFF2"]"#, "/ connect S recovered"])
        #expect(h.socket().recovered)
    }
}

/// The polling transport under a Manager, and docs/quirks.md #29 made visible.
@Suite struct ManagerPollingTests {
    private let polling = ManagerConfiguration(randomizationFactor: 0, engine: EngineConfiguration(transports: [.polling], upgrade: false))

    @Test func polling_handshakeConnectAndEvents() throws {
        var h = ManagerHarness(self.polling)
        #expect(try h.run { try $0.connect("/", now: $1) } == ["GET handshake"])
        let id = try #require(h.polling)
        let body = "0" + ManagerHarness.handshake + "\u{1e}" + #"42["welcome"]"# + "\u{1e}" + #"40{"sid":"P1"}"#
        let lines = h.run { $0.pollCompleted(id, body: body, now: $1) }
        #expect(lines == ["manager open", "POST 40", "/ event welcome []", "/ connect P1", "GET"])
        #expect(h.run { $0.postCompleted(id, now: $1) } == ["manager drain"], "the CONNECT has left, nothing waits")
        #expect(try h.emit("a").1 == [#"POST 42["a"]"#])
        #expect(try h.emit("b").1 == [], "one POST in flight; the rest waits")
        #expect(try h.emit("c", [], EmitOptions(ack: EmitToken(1))).1 == [])
        #expect(h.run { $0.postCompleted(id, now: $1) } == [#"POST 42["b"]|420["c"]"#], "no drain while the rest waits")
        #expect(h.run { $0.postCompleted(id, now: $1) } == ["manager drain"])
    }

    @Test func packetsTheEngineNeverSent_areResentAfterReconnecting_quirk29() throws {
        var h = ManagerHarness(self.polling)
        try h.run { try $0.connect("/", now: $1) }
        let first = try #require(h.polling)
        h.run { $0.pollCompleted(first, body: "0" + ManagerHarness.handshake + "\u{1e}" + #"40{"sid":"P1"}"#, now: $1) }
        h.run { $0.postCompleted(first, now: $1) }
        try h.emit("in-flight")
        try h.emit("waiting-1", [], EmitOptions(ack: EmitToken(1)))
        try h.emit("waiting-2")
        let lines = h.run { $0.pollFailed(first, TransportError(message: "xhr poll error", description: "502"), now: $1) }
        #expect(lines.contains("manager close transport error"))
        #expect(h.socket().bufferedCount == 2, "never transmitted: back in the send buffer")
        #expect(h.socket().pendingAckCount == 1, "and its ack waits for the resend")
        h.advance(to: 1000)
        let second = try #require(h.polling)
        #expect(second != first)
        h.run { $0.pollCompleted(second, body: "0" + ManagerHarness.handshake + "\u{1e}" + #"40{"sid":"P2"}"#, now: $1) }
        #expect(h.run { $0.postCompleted(second, now: $1) } == [#"POST 420["waiting-1"]|42["waiting-2"]"#])
    }
}

// MARK: - forceClose resets the backoff

extension ManagerTranscriptTests {
    @Test func close_whileWaitingToReconnect_resetsTheBackoff_soTheNextConnectRetries() throws {
        var h = ManagerHarness(ManagerConfiguration(reconnectionDelay: 300, randomizationFactor: 0, engine: EngineConfiguration(transports: [.websocket])))
        try h.run { try $0.connect("/", now: $1) }
        h.webSocketFails()
        #expect(h.manager.state == .waitingToReconnect)
        h.run { $0.close(now: $1) }
        #expect(h.manager.state == .closed && h.timers.isEmpty)
        #expect(h.manager.reconnectionAttempts == 0)
        try h.run { try $0.connect("/", now: $1) }
        h.webSocketFails()
        #expect(h.timer { if case .reconnect = $0 { true } else { false } } == 300, "the loop starts again")
    }
}

// MARK: - removeSocket while the CONNECT reply is pending (docs/quirks.md #4)

extension ManagerTranscriptTests {
    @Test func removeSocket_whileTheConnectReplyIsPending_sendsTheOwedDisconnect() throws {
        var h = ManagerHarness(sockets: [("/", SocketOptions()), ("/admin", SocketOptions())])
        h.connected()
        #expect(try h.run { try $0.connect("/admin", now: $1) } == ["> 40/admin,"])
        #expect(h.run { $0.removeSocket("/admin", now: $1) } == [])
        #expect(h.server(#"40/admin,{"sid":"A"}"#) == ["> 41/admin,"])
        #expect(h.server(#"40/admin,{"sid":"A"}"#) == [], "owed once")
    }
}

// MARK: - Ack ids across removing and re-adding a namespace

extension ManagerTranscriptTests {
    @Test func ackIds_stayUniqueAcrossRemovingAndAddingANamespace() throws {
        var h = ManagerHarness(sockets: [("/", SocketOptions()), ("/admin", SocketOptions())])
        h.connected()
        try h.run { try $0.connect("/admin", now: $1) }
        h.server(#"40/admin,{"sid":"A"}"#)
        #expect(try h.emit("old", [], namespace: "/admin", EmitOptions(ack: EmitToken(1), timeout: 1000)).1 == [#"> 42/admin,0["old"]"#])
        h.run { $0.removeSocket("/admin", now: $1) }
        try h.manager.addSocket("/admin")
        try h.run { try $0.connect("/admin", now: $1) }
        h.server(#"40/admin,{"sid":"A2"}"#)
        #expect(try h.emit("new", [], namespace: "/admin", EmitOptions(ack: EmitToken(2), timeout: 5000)).1 == [#"> 42/admin,1["new"]"#])
        #expect(h.run { $0.timerFired(.ack(namespace: "/admin", ackId: 0), now: $1) } == [], "the old socket's late timer")
        #expect(h.socket("/admin").pendingAckCount == 1)
    }
}

// MARK: - Namespace syntax

extension ManagerTranscriptTests {
    @Test func namespaces_mustNotContainAComma() {
        var manager = ManagerStateMachine(random: ScriptedRandom([0]))
        #expect(throws: ManagerError.invalidNamespace("/a,b")) { try manager.addSocket("/a,b") }
    }
}

// MARK: - Closing the engine ourselves over polling (docs/quirks.md #29, #32)

extension ManagerPollingTests {
    /// Opens over polling and connects "/" (sid P1); the CONNECT's POST has completed, a GET is out.
    private func connectedOverPolling() throws -> ManagerHarness {
        var h = ManagerHarness(self.polling)
        try h.run { try $0.connect("/", now: $1) }
        let id = try #require(h.polling)
        h.run { $0.pollCompleted(id, body: "0" + ManagerHarness.handshake + "\u{1e}" + #"40{"sid":"P1"}"#, now: $1) }
        h.run { $0.postCompleted(id, now: $1) }
        return h
    }

    private func onlyReconnectTimers(_ h: ManagerHarness) -> Bool {
        h.timers.keys.allSatisfy { if case .reconnect = $0 { true } else { false } }
    }

    @Test func dropConnection_overPolling_abortsAtOnce_andReturnsWhatNeverLeft() throws {
        var h = try self.connectedOverPolling()
        let first = try #require(h.polling)
        try h.emit("in-flight")
        try h.emit("waiting-1", [], EmitOptions(ack: EmitToken(1)))
        try h.emit("waiting-2")
        #expect(h.run { $0.dropConnection(now: $1) } == ["close transport", "manager close forced close", "/ disconnect forced close"])
        #expect(h.socket().bufferedCount == 2, "never transmitted: back in the send buffer")
        #expect(h.socket().pendingAckCount == 1)
        #expect(self.onlyReconnectTimers(h), "no heartbeat left behind")
        #expect(h.run { $0.postCompleted(first, now: $1) } == [], "the dead session's POST answer is ignored")
        h.advance(to: 1000)
        let second = try #require(h.polling)
        h.run { $0.pollCompleted(second, body: "0" + ManagerHarness.handshake + "\u{1e}" + #"40{"sid":"P2"}"#, now: $1) }
        #expect(h.run { $0.postCompleted(second, now: $1) } == [#"POST 420["waiting-1"]|42["waiting-2"]"#])
    }

    @Test func parseError_overPolling_abortsAtOnce() throws {
        var h = try self.connectedOverPolling()
        try h.emit("in-flight")
        try h.emit("waiting")
        let id = try #require(h.polling)
        #expect(h.run { $0.pollCompleted(id, body: #"42["disconnect"]"#, now: $1) } == [
            "close transport", "manager close parse error", "/ disconnect parse error",
        ])
        #expect(h.socket().bufferedCount == 1)
        #expect(self.onlyReconnectTimers(h))
    }

    @Test func managerClose_overPolling_drainsTheBufferAndOne_beforeClosingTheTransport() throws {
        var h = try self.connectedOverPolling()
        let id = try #require(h.polling)
        try h.emit("in-flight")
        try h.emit("waiting")
        #expect(h.run { $0.close(now: $1) } == ["manager close forced close", "/ disconnect forced close"])
        #expect(h.manager.state == .closed)
        #expect(h.run { $0.postCompleted(id, now: $1) } == [#"POST 42["waiting"]|1"#])
        #expect(h.run { $0.postCompleted(id, now: $1) } == ["close transport"])
        #expect(h.timers.isEmpty, "no heartbeat left behind")
    }

    @Test func managerClose_overPolling_whenThePostNeverAnswers_returnsWhatItHeld() throws {
        var h = try self.connectedOverPolling()
        try h.emit("in-flight")
        try h.emit("waiting")
        h.run { $0.close(now: $1) }
        #expect(h.advance(to: 3000) == ["close transport"], "the closing engine's heartbeat ends it")
        #expect(h.socket().bufferedCount == 1, "never transmitted: back in the send buffer")
        #expect(h.timers.isEmpty)
    }

    @Test func lastSocketLeaving_overPolling_deliversDisconnectThenOne() throws {
        var h = try self.connectedOverPolling()
        let id = try #require(h.polling)
        try h.emit("in-flight")
        #expect(try h.run { try $0.disconnect("/", now: $1) } == ["/ disconnect io client disconnect", "manager close forced close"])
        #expect(h.run { $0.postCompleted(id, now: $1) } == ["POST 41|1"])
        #expect(h.run { $0.postCompleted(id, now: $1) } == ["close transport"])
        #expect(h.timers.isEmpty)
    }
}

// MARK: - Actions of a session discarded mid-batch

extension ManagerPollingTests {
    @Test func pollingBody_parseErrorThenPing_forwardsNothingForTheDeadSession() throws {
        var h = ManagerHarness(self.polling)
        try h.run { try $0.connect("/", now: $1) }
        let id = try #require(h.polling)
        h.run { $0.pollCompleted(id, body: "0" + ManagerHarness.handshake + "\u{1e}" + #"40{"sid":"P1"}"#, now: $1) }
        h.run { $0.postCompleted(id, now: $1) }
        #expect(h.run { $0.pollCompleted(id, body: #"42["disconnect"]"# + "\u{1e}2", now: $1) } == [
            "close transport", "manager close parse error", "/ disconnect parse error",
        ], "no POST 3, GET or heartbeat for the dead session")
        #expect(h.timers.keys.allSatisfy { if case .reconnect = $0 { true } else { false } })
    }
}

// MARK: - A write that closes the engine mid-batch

extension ManagerTranscriptTests {
    @Test func connectReply_afterThePingDeadline_closesWithoutReportingConnect() throws {
        var h = ManagerHarness()
        try h.run { try $0.connect("/", now: $1) }
        h.acceptWebSocket()
        #expect(try h.emit("early").0 == .buffered)
        h.now = 5000  // suspended: the heartbeat timer never fired
        #expect(h.server(#"40{"sid":"S"}"#) == ["close transport", "manager close ping timeout", "/ disconnect ping timeout"])
        #expect(h.socket().state == .awaitingManager)
        #expect(h.socket().bufferedCount == 1, "the flushed emit came back")
    }
}

// MARK: - Writes caused by a polling response that also completes an upgrade

extension ManagerPollingTests {
    /// The GET that ends the pause for an upgrade carries the CONNECT reply: the emits it
    /// releases go out over the new WebSocket after `5`, never before it (python-socketio
    /// closes a probe that sends anything but `5` after `3probe`, and the emits were lost).
    @Test func connectReplyInTheGetThatCompletesTheUpgrade_emitsFollowTheUpgradePacket() throws {
        let upgrading = ManagerConfiguration(randomizationFactor: 0, engine: EngineConfiguration(transports: [.polling, .websocket]))
        var h = ManagerHarness(upgrading)
        try h.run { try $0.connect("/", now: $1) }
        let polling = try #require(h.polling)
        let handshake = #"{"sid":"E1","upgrades":["websocket"],"pingInterval":2000,"pingTimeout":1000,"maxPayload":1000000}"#
        #expect(h.run { $0.pollCompleted(polling, body: "0" + handshake, now: $1) } == ["manager open", "POST 40", "open websocket", "GET"])
        #expect(h.run { $0.postCompleted(polling, now: $1) } == ["manager drain"])
        #expect(try h.emit("early").0 == .buffered, "not connected yet")
        let probe = try #require(h.webSocket)
        #expect(h.run { $0.webSocketOpened(probe, now: $1) } == ["> 2probe"])
        #expect(h.server("3probe") == [], "the GET is still out: polling pauses")
        let lines = h.run { $0.pollCompleted(polling, body: #"40{"sid":"P1"}"#, now: $1) }
        let upgrade = try #require(lines.firstIndex(of: "> 5"))
        let emit = try #require(lines.firstIndex(of: #"> 42["early"]"#))
        #expect(upgrade < emit, "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("POST") || $0 == "GET" }, "\(lines)")
    }
}
