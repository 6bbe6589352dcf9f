import SioJSON
import Testing
@testable import SioProtocol

/// Transcripts of one Socket (socket.io-client lib/socket.ts): one line per event, the actions
/// asserted.
@Suite struct NamespaceStateMachineTests {
    typealias Action = NamespaceStateMachine.Action

    private func reply(_ text: String) throws -> SocketPacket {
        var decoder = SocketPacketDecoder()
        return try #require(try decoder.decode(text: text))
    }

    private func sent(_ actions: [Action]) -> [String] {
        actions.compactMap { if case .send(let packet, _) = $0 { packet.encodedText } else { nil } }
    }

    private func events(_ actions: [Action]) -> [SocketEvent] {
        actions.compactMap { if case .event(let event) = $0 { event } else { nil } }
    }

    private func connected(_ options: SocketOptions = SocketOptions(), namespace: String = "/") throws -> NamespaceStateMachine {
        var socket = NamespaceStateMachine(namespace: namespace, options: options)
        _ = socket.connect(managerOpen: true)
        _ = socket.received(try self.reply(namespace == "/" ? #"0{"sid":"s1"}"# : #"0\#(namespace),{"sid":"s1"}"#))
        return socket
    }

    private func emit(_ socket: inout NamespaceStateMachine, _ name: EventName, _ args: [JSON] = [], _ options: EmitOptions = EmitOptions(), writable: Bool = true) throws -> (EmitStatus, [Action]) {
        try socket.emit(name, EventArguments(args), options: options, writable: writable, pingExpired: false)
    }

    @Test func connect_sendsAuth_thenConnectsWithTheNamespaceSid() throws {
        var socket = NamespaceStateMachine(namespace: "/admin", options: SocketOptions(auth: .value(["token": "abc"])))
        #expect(self.sent(socket.connect(managerOpen: true)) == [#"0/admin,{"token":"abc"}"#])
        #expect(socket.state == .connecting)
        #expect(socket.connect(managerOpen: true).isEmpty, "no second CONNECT while one is pending (docs/quirks.md #3)")
        let actions = socket.received(try self.reply(#"0/admin,{"sid":"XOFi"}"#))
        #expect(self.events(actions) == [.connect(id: "XOFi", recovered: false)])
        #expect(socket.id == "XOFi")
        #expect(socket.isConnected && socket.isActive)
    }

    @Test func connect_whileTheManagerIsClosed_waitsForIt() throws {
        var socket = NamespaceStateMachine(namespace: "/")
        #expect(socket.connect(managerOpen: false).isEmpty)
        #expect(socket.state == .awaitingManager)
        #expect(socket.isActive)
        #expect(self.sent(socket.managerOpened()) == ["0"])
    }

    @Test func flushOrder_afterConnect_section6item8() throws {
        var socket = NamespaceStateMachine(namespace: "/", options: SocketOptions(retries: 1, ackTimeout: 500))
        _ = socket.connect(managerOpen: false)
        // While disconnected: a queued (retries) emit, then the server's early event.
        let (queued, _) = try self.emit(&socket, "queued", ["q"])
        #expect(queued == .buffered)
        _ = socket.managerOpened()
        #expect(socket.received(try self.reply(#"2["welcome",{"hello":"world"}]"#)).isEmpty)
        let actions = socket.received(try self.reply(#"0{"sid":"abc"}"#))
        // Received buffer first, then the retry head, then `connect`.
        #expect(actions.count == 4)
        guard case .event(.event(let welcome)) = actions[0] else { Issue.record("\(actions)"); return }
        #expect(welcome.name == "welcome")
        #expect(actions[1] == .scheduleAckTimer(ackId: 0, afterMilliseconds: 500))
        #expect(self.sent([actions[2]]) == [#"20["queued","q"]"#])
        #expect(actions[3] == .event(.connect(id: "abc", recovered: false)))
    }

    @Test func sendBuffer_flushesInOrder_beforeConnect() throws {
        var socket = NamespaceStateMachine(namespace: "/")
        _ = socket.connect(managerOpen: false)
        #expect(try self.emit(&socket, "a").0 == .buffered)
        #expect(try self.emit(&socket, "b", [], EmitOptions(ack: EmitToken(1))).0 == .buffered)
        #expect(try self.emit(&socket, "c", [], EmitOptions(volatile: true)).0 == .dropped)
        _ = socket.managerOpened()
        let actions = socket.received(try self.reply(#"0{"sid":"x"}"#))
        #expect(self.sent(actions) == [#"2["a"]"#, #"20["b"]"#])
        #expect(actions.last == .event(.connect(id: "x", recovered: false)))
    }

    @Test func reservedNames_areRefused() throws {
        var socket = try self.connected()
        for name in ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"] {
            #expect(throws: EmitError.reservedEventName(name)) { try self.emit(&socket, .string(name)) }
        }
        #expect(try self.emit(&socket, "connected").0 == .sent)
    }

    @Test func sendBuffer_isBounded_andRefusesInsteadOfDropping() throws {
        var socket = NamespaceStateMachine(namespace: "/", options: SocketOptions(sendBufferLimit: 2))
        #expect(try self.emit(&socket, "a").0 == .buffered)
        #expect(try self.emit(&socket, "b").0 == .buffered)
        #expect(throws: EmitError.sendBufferFull(limit: 2)) { try self.emit(&socket, "c", [], EmitOptions(ack: EmitToken(9))) }
        #expect(socket.bufferedCount == 2)
        #expect(socket.pendingAckCount == 0, "a refused emit registers no ack")
    }

    @Test func volatile_dropsWheneverItCannotWriteNow_section6item17() throws {
        var socket = try self.connected()
        #expect(try self.emit(&socket, "v", [], EmitOptions(ack: EmitToken(1), volatile: true), writable: false).0 == .dropped)
        #expect(socket.pendingAckCount == 0)
        let (status, actions) = try self.emit(&socket, "v", [], EmitOptions(volatile: true), writable: true)
        #expect(status == .sent)
        #expect(self.sent(actions) == [#"2["v"]"#])
    }

    @Test func requireConnected_refusesInsteadOfBuffering_andBypassesTheRetryQueue() throws {
        var socket = NamespaceStateMachine(namespace: "/", options: SocketOptions(retries: 3))
        _ = socket.connect(managerOpen: false)
        #expect(throws: EmitError.notConnected) {
            try self.emit(&socket, "d", [], EmitOptions(ack: EmitToken(1), requireConnected: true))
        }
        #expect(socket.bufferedCount == 0 && socket.pendingAckCount == 0, "nothing kept for a refused emit")
        _ = socket.managerOpened()
        _ = socket.received(try self.reply(#"0{"sid":"x"}"#))
        let (status, actions) = try self.emit(&socket, "d", [], EmitOptions(ack: EmitToken(2), requireConnected: true))
        #expect(status == .sent)
        #expect(self.sent(actions) == [#"20["d"]"#], "sent at once with its own ack id, not through the retry queue")
    }

    @Test func ack_success_carriesEveryArgument() throws {
        var socket = try self.connected()
        let (_, actions) = try self.emit(&socket, "echo", ["hi"], EmitOptions(ack: EmitToken(7), timeout: 1000))
        #expect(actions == [.scheduleAckTimer(ackId: 0, afterMilliseconds: 1000), actions[1]])
        #expect(self.sent(actions) == [#"20["echo","hi"]"#])
        let done = socket.received(try self.reply(#"30[null,"hi",{"a":1}]"#))
        #expect(done.first == .cancelAckTimer(ackId: 0))
        guard case .event(.ackResult(let token, .success(let arguments))) = done.last else { Issue.record("\(done)"); return }
        #expect(token == EmitToken(7))
        #expect(try arguments.values() == [nil, "hi", ["a": 1]])
        #expect(socket.received(try self.reply(#"30["late"]"#)).isEmpty, "a second ack for the same id is ignored")
    }

    @Test func ackTimeout_whileBuffered_removesThePacket() throws {
        var socket = NamespaceStateMachine(namespace: "/")
        _ = socket.connect(managerOpen: false)
        let (status, actions) = try self.emit(&socket, "later", [], EmitOptions(ack: EmitToken(3), timeout: 100))
        #expect(status == .buffered)
        #expect(actions == [.scheduleAckTimer(ackId: 0, afterMilliseconds: 100)], "the timer starts at emit time")
        #expect(socket.ackTimerFired(ackId: 0) == [.event(.ackResult(EmitToken(3), .failure(.timedOut)))])
        #expect(socket.bufferedCount == 0, "a timed-out buffered packet is never sent")
    }

    @Test func clearAcks_onDisconnect_failsSentOnes_keepsBufferedOnes() throws {
        var socket = try self.connected()
        _ = try self.emit(&socket, "sent", [], EmitOptions(ack: EmitToken(1)))
        let closed = socket.managerClosed(.transportClose, description: "websocket connection closed")
        #expect(self.events(closed) == [
            .disconnect(.transportClose, description: "websocket connection closed"),
            .ackResult(EmitToken(1), .failure(.disconnected)),
        ])
        #expect(socket.isActive && !socket.isConnected && socket.id == nil)
        _ = try self.emit(&socket, "buffered", [], EmitOptions(ack: EmitToken(2)))
        #expect(self.events(socket.managerClosed(.pingTimeout, description: nil)) == [.disconnect(.pingTimeout, description: nil)])
        #expect(socket.pendingAckCount == 1, "the buffered packet's ack survives")
    }

    @Test func unsentPackets_returnToTheFrontOfTheSendBuffer_section6item29() throws {
        var socket = try self.connected()
        _ = try self.emit(&socket, "first", [], EmitOptions(ack: EmitToken(1)))
        let lost = SocketPacket.event("first", .empty, id: 0)
        _ = socket.managerClosed(.transportError, description: nil, unsent: [lost])
        #expect(socket.pendingAckCount == 1, "its ack waits for the resend")
        _ = try self.emit(&socket, "second")
        _ = socket.managerOpened()
        let actions = socket.received(try self.reply(#"0{"sid":"y"}"#))
        #expect(self.sent(actions) == [#"20["first"]"#, #"2["second"]"#])
    }

    @Test func connectError_deactivates_andCarriesMessageAndData() throws {
        var socket = NamespaceStateMachine(namespace: "/admin", options: SocketOptions(auth: .value(["token": "bad"])))
        _ = socket.connect(managerOpen: true)
        let actions = socket.received(try self.reply(#"4/admin,{"message":"not authorized","data":{"code":42}}"#))
        #expect(self.events(actions) == [.connectError(.refused(message: "not authorized", data: ["code": 42]))])
        #expect(!socket.isActive)
        socket.setAuth(.value(["token": "ok"]))
        #expect(self.sent(socket.connect(managerOpen: true)) == [#"0/admin,{"token":"ok"}"#])
    }

    @Test func connectReplyWithoutSid_isTheV2Error() throws {
        var socket = NamespaceStateMachine(namespace: "/")
        _ = socket.connect(managerOpen: true)
        #expect(self.events(socket.received(try self.reply("0{}"))) == [.connectError(.invalidReply)])
        #expect(socket.isActive)
    }

    @Test func serverDisconnect_isIoServerDisconnect_andDeactivates() throws {
        var socket = try self.connected()
        _ = try self.emit(&socket, "x", [], EmitOptions(ack: EmitToken(4)))
        let actions = socket.received(try self.reply("1"))
        #expect(self.events(actions) == [
            .disconnect(.ioServerDisconnect, description: nil),
            .ackResult(EmitToken(4), .failure(.disconnected)),
        ])
        #expect(!socket.isActive)
    }

    @Test func clientDisconnect_sendsDisconnect_andDeactivates() throws {
        var socket = try self.connected(namespace: "/admin")
        let actions = socket.disconnect()
        #expect(self.sent(actions) == ["1/admin,"])
        #expect(self.events(actions) == [.disconnect(.ioClientDisconnect, description: nil)])
        #expect(!socket.isActive)
    }

    @Test func clientDisconnect_whileConnecting_sendsDisconnectOnceTheReplyArrives_section6item4() throws {
        var socket = NamespaceStateMachine(namespace: "/admin")
        _ = socket.connect(managerOpen: true)
        #expect(socket.disconnect().isEmpty, "DISCONNECT before the reply would make the server close the connection")
        #expect(!socket.isActive)
        let actions = socket.received(try self.reply(#"0/admin,{"sid":"late"}"#))
        #expect(self.sent(actions) == ["1/admin,"])
        #expect(self.events(actions).isEmpty)
    }

    @Test func retryQueue_referenceTrace_A6() throws {
        var socket = try self.connected(SocketOptions(retries: 2, ackTimeout: 200))
        let (first, a1) = try self.emit(&socket, "no-handler", ["x"], EmitOptions(ack: EmitToken(1)))
        #expect(first == .sent)
        #expect(self.sent(a1) == [#"20["no-handler","x"]"#])
        let (second, a2) = try self.emit(&socket, "echo", ["after"], EmitOptions(ack: EmitToken(2)))
        #expect(second == .buffered, "one in flight, head of line")
        #expect(a2.isEmpty)
        #expect(self.sent(socket.ackTimerFired(ackId: 0)) == [#"21["no-handler","x"]"#])
        #expect(self.sent(socket.ackTimerFired(ackId: 1)) == [#"22["no-handler","x"]"#])
        let exhausted = socket.ackTimerFired(ackId: 2)
        #expect(self.events(exhausted) == [.ackResult(EmitToken(1), .failure(.timedOut))])
        #expect(self.sent(exhausted) == [#"23["echo","after"]"#])
        #expect(socket.received(try self.reply(#"31["late try"]"#)).isEmpty, "a late ack for an earlier try is ignored")
        let done = socket.received(try self.reply(#"33["after"]"#))
        guard case .event(.ackResult(let token, .success(let arguments))) = done.last else { Issue.record("\(done)"); return }
        #expect(token == EmitToken(2))
        #expect(try arguments.values() == ["after"])
        #expect(socket.queuedCount == 0)
    }

    @Test func retryQueue_anyAckIsSuccess_section6item19() throws {
        var socket = try self.connected(SocketOptions(retries: 3))
        _ = try self.emit(&socket, "e", [], EmitOptions(ack: EmitToken(1)))
        let done = socket.received(try self.reply(#"30["not an error"]"#))
        #expect(self.events(done).count == 1)
        guard case .event(.ackResult(_, .success)) = done.last else { Issue.record("\(done)"); return }
    }

    @Test func retryQueue_resendsTheHeadAfterReconnecting() throws {
        var socket = try self.connected(SocketOptions(retries: 5, ackTimeout: 1000))
        _ = try self.emit(&socket, "e")
        let closed = socket.managerClosed(.transportClose, description: nil)
        #expect(self.sent(closed).isEmpty)
        _ = socket.managerOpened()
        let actions = socket.received(try self.reply(#"0{"sid":"again"}"#))
        #expect(self.sent(actions) == [#"21["e"]"#])
    }

    @Test func recovery_sendsPidAndOffset_andReportsRecovered() throws {
        var socket = NamespaceStateMachine(namespace: "/", options: SocketOptions(auth: .value(["token": "t", "pid": "mine"])))
        _ = socket.connect(managerOpen: true)
        _ = socket.received(try self.reply(#"0{"sid":"s1","pid":"P1"}"#))
        #expect(socket.pid == "P1")
        _ = socket.received(try self.reply(#"2["foo","MzUPkW0"]"#))
        #expect(socket.offset == "MzUPkW0")
        _ = socket.managerClosed(.transportClose, description: nil)
        // Object.assign({pid, offset}, auth): the user's keys win, in place.
        #expect(self.sent(socket.managerOpened()) == [#"0{"pid":"mine","offset":"MzUPkW0","token":"t"}"#])
        // Missed packets arrive before the reply and are delivered before `connect`.
        _ = socket.received(try self.reply(#"2["missed","O2"]"#))
        let actions = socket.received(try self.reply(#"0{"sid":"s1","pid":"P1"}"#))
        #expect(self.events(actions).last == .connect(id: "s1", recovered: true))
        #expect(socket.offset == "O2")
    }

    @Test func recovery_seededFromAnEarlierRun() throws {
        var socket = NamespaceStateMachine(namespace: "/", recovery: (pid: "P0", offset: "O0"))
        #expect(self.sent(socket.connect(managerOpen: true)) == [#"0{"pid":"P0","offset":"O0"}"#])
        _ = socket.received(try self.reply(#"0{"sid":"new"}"#))
        #expect(!socket.recovered)
        #expect(socket.pid == nil && socket.offset == nil)
    }

    @Test func authProvider_isAskedBeforeEveryConnect() throws {
        var socket = NamespaceStateMachine(namespace: "/", options: SocketOptions(auth: .provider))
        #expect(socket.connect(managerOpen: true) == [.event(.authRequested)])
        #expect(socket.state == .awaitingAuth)
        #expect(self.sent(socket.provideAuth(["token": "from-fn"])) == [#"0{"token":"from-fn"}"#])
        #expect(socket.provideAuth(["token": "twice"]).isEmpty)
    }

    @Test func receiveBuffer_isBounded() throws {
        var socket = NamespaceStateMachine(namespace: "/", options: SocketOptions(receiveBufferLimit: 2))
        _ = socket.connect(managerOpen: true)
        _ = socket.received(try self.reply(#"2["a"]"#))
        _ = socket.received(try self.reply(#"2["b"]"#))
        #expect(self.events(socket.received(try self.reply(#"2["c"]"#))) == [.eventsDropped(1)])
        let names = self.events(socket.received(try self.reply(#"0{"sid":"s"}"#))).compactMap { event -> String? in
            if case .event(let e) = event { e.name.description } else { nil }
        }
        #expect(names == ["b", "c"])
    }

    @Test func close_answersEveryWaitingEmit() throws {
        var socket = try self.connected(SocketOptions(retries: 1))
        _ = try self.emit(&socket, "queued-1", [], EmitOptions(ack: EmitToken(1)))
        _ = try self.emit(&socket, "queued-2", [], EmitOptions(ack: EmitToken(2)))
        let events = self.events(socket.close())
        #expect(events.contains(.ackResult(EmitToken(2), .failure(.closed))))
        #expect(events.contains { if case .ackResult(EmitToken(1), .failure) = $0 { true } else { false } })
        #expect(socket.queuedCount == 0 && socket.pendingAckCount == 0)
    }

    @Test func sendAck_needsAConnection() throws {
        var socket = try self.connected()
        #expect(self.sent(try socket.sendAck(id: 5, EventArguments(["ok", .binary([1])]))) == [#"61-5["ok",{"_placeholder":true,"num":0}]"#])
        _ = socket.managerClosed(.transportClose, description: nil)
        #expect(throws: EmitError.notConnected) { try socket.sendAck(id: 6, .empty) }
    }
}

// MARK: - connect after disconnect while the CONNECT reply is pending (docs/quirks.md #3, #24)

extension NamespaceStateMachineTests {
    @Test func connect_afterDisconnect_whileTheReplyIsPending_sendsNoSecondConnect() throws {
        var socket = NamespaceStateMachine(namespace: "/")
        #expect(self.sent(socket.connect(managerOpen: true)) == ["0"])
        #expect(socket.disconnect().isEmpty)
        #expect(socket.connect(managerOpen: true).isEmpty, "the first CONNECT is still pending")
        #expect(socket.state == .connecting)
        let actions = socket.received(try self.reply(#"0{"sid":"s1"}"#))
        #expect(self.sent(actions).isEmpty, "and no DISCONNECT is owed any more")
        #expect(self.events(actions) == [.connect(id: "s1", recovered: false)])
    }
}

// MARK: - Limits ≤ 0

extension NamespaceStateMachineTests {
    @Test func receiveBufferLimit_zeroOrNegative_dropsEveryEarlyEvent() throws {
        for limit in [0, -1] {
            var socket = NamespaceStateMachine(namespace: "/", options: SocketOptions(receiveBufferLimit: limit))
            _ = socket.connect(managerOpen: true)
            #expect(self.events(socket.received(try self.reply(#"2["early"]"#))) == [.eventsDropped(1)])
            #expect(self.events(socket.received(try self.reply(#"0{"sid":"s1"}"#))) == [.connect(id: "s1", recovered: false)])
        }
    }

    @Test func sendBufferLimit_zeroOrNegative_refusesEveryBufferedEmit() throws {
        for limit in [0, -1] {
            var socket = NamespaceStateMachine(namespace: "/", options: SocketOptions(sendBufferLimit: limit))
            #expect(throws: EmitError.sendBufferFull(limit: 0)) { try self.emit(&socket, "a") }
        }
    }
}

// MARK: - Recovery offset (docs/quirks.md #20)

extension NamespaceStateMachineTests {
    @Test func recovery_offsetIsNotTakenFromEventsWithAnAckId() throws {
        var socket = NamespaceStateMachine(namespace: "/", recovery: (pid: "P", offset: "OFF1"))
        _ = socket.connect(managerOpen: true)
        _ = socket.received(try self.reply(#"0{"sid":"s1","pid":"P"}"#))
        let asked = socket.received(try self.reply(#"27["question","not-an-offset"]"#))
        #expect(socket.offset == "OFF1", "the reference's last argument is then the ack function")
        _ = socket.received(try self.reply(#"2["foo","OFF2"]"#))
        #expect(socket.offset == "OFF2")
        guard case .event(.event(let question))? = asked.last else { Issue.record("\(asked)"); return }
        #expect(question.recovery == nil)
    }

    @Test func recovery_eachEventCarriesItsOwnPoint_whenTheServerRecovers() throws {
        var socket = NamespaceStateMachine(namespace: "/")
        _ = socket.connect(managerOpen: true)
        _ = socket.received(try self.reply(#"0{"sid":"s1"}"#))
        let plain = socket.received(try self.reply(#"2["foo","not-an-offset"]"#))
        guard case .event(.event(let unrecovered))? = plain.last else { Issue.record("\(plain)"); return }
        #expect(unrecovered.recovery == nil, "no pid: the server does not recover sessions")
        var recovering = NamespaceStateMachine(namespace: "/")
        _ = recovering.connect(managerOpen: true)
        _ = recovering.received(try self.reply(#"0{"sid":"s1","pid":"P"}"#))
        let first = recovering.received(try self.reply(#"2["foo","O1"]"#))
        let second = recovering.received(try self.reply(#"2["bar",1,"O2"]"#))
        guard case .event(.event(let one))? = first.last, case .event(.event(let two))? = second.last else {
            Issue.record("\(first) \(second)")
            return
        }
        #expect(one.recovery == RecoveryPoint(pid: "P", offset: "O1"))
        #expect(two.recovery == RecoveryPoint(pid: "P", offset: "O2"))
    }
}

// MARK: - The retry queue is bounded (docs/quirks.md #7)

extension NamespaceStateMachineTests {
    @Test func retryQueue_isBoundedBySendBufferLimit() throws {
        var socket = NamespaceStateMachine(namespace: "/", options: SocketOptions(retries: 1, sendBufferLimit: 2))
        _ = socket.connect(managerOpen: false)
        #expect(try self.emit(&socket, "a").0 == .buffered)
        #expect(try self.emit(&socket, "b").0 == .buffered)
        #expect(throws: EmitError.sendBufferFull(limit: 2)) { try self.emit(&socket, "c") }
        #expect(socket.queuedCount == 2)
    }
}

// MARK: - Unsent packets that must not come back (docs/quirks.md #29 with retries and acks)

extension NamespaceStateMachineTests {
    private func packets(_ actions: [Action]) -> [SocketPacket] {
        actions.compactMap { if case .send(let packet, _) = $0 { packet } else { nil } }
    }

    @Test func unsentPackets_ofTheRetryQueue_areResentOnlyByTheQueue() throws {
        var socket = try self.connected(SocketOptions(retries: 1, ackTimeout: 500))
        let (_, actions) = try self.emit(&socket, "a")
        _ = socket.managerClosed(.transportClose, description: nil, unsent: self.packets(actions))
        #expect(socket.bufferedCount == 0)
        _ = socket.managerOpened()
        #expect(self.sent(socket.received(try self.reply(#"0{"sid":"s2"}"#))) == [#"21["a"]"#], "one resend, new id")
    }

    @Test func unsentPackets_whoseAckTimedOut_areNotResent() throws {
        var socket = try self.connected()
        let (_, actions) = try self.emit(&socket, "a", [], EmitOptions(ack: EmitToken(1), timeout: 100))
        #expect(self.events(socket.ackTimerFired(ackId: 0)) == [.ackResult(EmitToken(1), .failure(.timedOut))])
        _ = socket.managerClosed(.transportClose, description: nil, unsent: self.packets(actions))
        #expect(socket.bufferedCount == 0)
    }
}
