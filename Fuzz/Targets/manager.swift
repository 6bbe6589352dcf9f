// The Manager state machine (with its EngineStateMachine and NamespaceStateMachines) driven
// the way `Tests/SioProtocolTests/Manager/ManagerHarness.swift` drives it: a fake clock, a
// timer table, a server that answers transport requests with packets, and user calls, all
// chosen by the fuzz bytes (the first bytes pick the configuration, then one operation per
// opcode byte with its operands).
//
// Checks, besides "never crashes" (no precondition failure, no ASan report), after every
// action and every step, from the public API:
// - transports: no request on a transport after `closeTransport`; one GET and one POST in
//   flight per polling transport (docs/quirks.md #24); WebSocket messages only on a WebSocket
//   that opened; no transport opened twice; timers never scheduled in the past;
// - acks: every `ackResult` answers an emit that asked for one, once (docs/quirks.md #9);
// - states: `openEngine`, `engineId`, `heartbeatInterval` say open exactly when the Manager
//   is open; a socket connecting, connected, leaving or asking for auth has an open Manager;
//   `observed` matches the socket; namespaces are unique;
// - liveness: waiting to reconnect has exactly one live backoff timer; an open Manager has a
//   live heartbeat; an opening one a live `timeout` (when configured) or a pending transport.

import SioJSON
import SioProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManager(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var driver = Driver(&input)
    var steps = 0
    while !input.isAtEnd && steps < 400 {
        driver.step(&input)
        driver.checkInvariants()
        steps += 1
    }
    return 0
}

/// Backoff jitter from a seed: deterministic per input.
private struct SeededRandom: RandomNumberGenerator, Sendable {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let namespaces = ["/", "/admin", "/chat"]

/// What the server says, as text: Engine.IO packets carrying Socket.IO ones, and noise.
private let serverTexts = [
    "2", "3probe", "1", "5", "6", "40", #"40{"sid":"S1"}"#, #"40/admin,{"sid":"A1"}"#, #"40/chat,{"sid":"C1","pid":"P"}"#,
    #"44{"message":"not authorized"}"#, #"44/admin,{"message":"no"}"#, "41", "41/admin,", #"42["ev",1,"offset-1"]"#,
    #"4212["question"]"#, "430[]", #"431["answer"]"#, #"432/admin,["x"]"#, #"451-["bin",{"_placeholder":true,"num":0}]"#,
    #"461-0[{"_placeholder":true,"num":0}]"#, #"42/chat,["x"]"#, #"42["disconnect"]"#, "4", "4x", "x", "",
    #"452-["two",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#, "2probe", "3",
]

private struct Driver {
    var manager: ManagerStateMachine
    var now: Int64 = 0
    let handshakeTimeout: Int64?
    var handshake = ""

    /// Live timers and their deadlines; every timer ever scheduled, for stale firings.
    var timers: [ManagerTimer: Int64] = [:]
    var pastTimers: [ManagerTimer] = []
    /// WebSockets asked for: opened or not, and the sid they were asked with.
    var webSockets: [ConnectionID: (opened: Bool, sid: String?)] = [:]
    /// Outstanding polling requests: GETs (true for a handshake GET) and POSTs.
    var gets: [ConnectionID: Bool] = [:]
    var posts: Set<ConnectionID> = []
    var closed: Set<ConnectionID> = []
    var pastIDs: [ConnectionID] = []
    /// Emits waiting for their one ack result.
    var awaitingAck: Set<EmitToken> = []
    var nextToken: UInt64 = 1

    init(_ input: inout FuzzInput) {
        let transports: [[TransportKind]] = [[.websocket], [.polling], [.polling, .websocket], [.websocket, .polling], []]
        let flags = input.byte()
        let engine = EngineConfiguration(
            transports: input.pick(transports), upgrade: flags & 1 != 0, rememberUpgrade: flags & 2 != 0,
            tryAllTransports: flags & 4 != 0, maxPacketsPerPayload: 1 + input.int(below: 4)
        )
        self.handshakeTimeout = input.pick([nil, 0, 500, 20000] as [Int64?])
        let configuration = ManagerConfiguration(
            reconnection: flags & 8 != 0 || flags & 0x40 != 0,
            reconnectionAttempts: input.pick([nil, 0, 1, 3] as [Int?]),
            reconnectionDelay: Int64(input.int(below: 4)) * 300,
            reconnectionDelayMax: 2000,
            randomizationFactor: flags & 16 != 0 ? 0.5 : 0,
            timeout: self.handshakeTimeout,
            engine: engine,
            maxAttachments: 1 + input.int(below: 3),
            reportsPackets: flags & 32 != 0,
            reportsOutgoing: flags & 128 != 0
        )
        self.manager = ManagerStateMachine(configuration: configuration, random: SeededRandom(state: UInt64(input.byte())))
        let interval = 100 + input.int(below: 50) * 100
        let timeout = 100 + input.int(below: 50) * 100
        let upgrades = flags & 1 != 0 ? #"["websocket"]"# : "[]"
        self.handshake = #"{"sid":"E","upgrades":\#(upgrades),"pingInterval":\#(interval),"pingTimeout":\#(timeout),"maxPayload":200}"#
        for namespace in namespaces.prefix(1 + input.int(below: 3)) {
            self.addSocket(namespace, &input)
        }
    }

    mutating func addSocket(_ namespace: String, _ input: inout FuzzInput) {
        let auth = input.pick([SocketOptions.Auth.none, .value(["token": "t"]), .provider])
        let options = SocketOptions(
            auth: auth, retries: input.int(below: 3), ackTimeout: input.pick([nil, 0, 1000] as [Int64?]),
            sendBufferLimit: input.int(below: 4), receiveBufferLimit: input.int(below: 3)
        )
        do throws(ManagerError) {
            try self.manager.addSocket(namespace, options: options)
        } catch {
            check(self.manager.namespaces.contains(namespace), "addSocket refused a new valid namespace: \(error)")
        }
    }

    // MARK: - Steps

    mutating func step(_ input: inout FuzzInput) {
        let namespace = input.pick(namespaces)
        switch input.int(below: 19) {
        case 0: self.record(try? self.manager.connect(namespace, now: self.now))
        case 1: self.record(try? self.manager.disconnect(namespace, now: self.now))
        case 2: self.record(self.manager.open(now: self.now))
        case 3: self.record(self.manager.close(now: self.now))
        case 4: self.record(self.manager.dropConnection(now: self.now))
        case 5: self.acceptWebSocket()
        case 6:
            guard let id = self.openWebSocket() else { return }
            let text = self.serverText(&input)
            self.record(self.manager.webSocketReceived(id, .text(text), now: self.now))
        case 7:
            guard let id = self.openWebSocket() else { return }
            self.record(self.manager.webSocketReceived(id, .binary(input.lengthPrefixed()), now: self.now))
        case 8:
            guard let id = self.pendingWebSocket() ?? self.openWebSocket() else { return }
            self.forget(id)
            if input.bool() {
                self.record(self.manager.webSocketClosed(id, description: nil, now: self.now))
            } else {
                self.record(self.manager.webSocketFailed(id, TransportError(message: "websocket error"), now: self.now))
            }
        case 9:
            guard let (id, handshake) = self.gets.first else { return }
            self.gets[id] = nil
            var records = handshake ? ["0" + self.handshake] : []
            for _ in 0..<input.int(below: 4) { records.append(self.serverText(&input)) }
            self.record(self.manager.pollCompleted(id, body: records.joined(separator: "\u{1e}"), now: self.now))
        case 10:
            guard let id = self.gets.first?.key else { return }
            self.gets[id] = nil
            self.record(self.manager.pollFailed(id, TransportError(message: "xhr poll error", description: "502"), now: self.now))
        case 11:
            guard let id = self.posts.first else { return }
            self.posts.remove(id)
            if input.bool() {
                self.record(self.manager.postCompleted(id, now: self.now))
            } else {
                self.record(self.manager.postFailed(id, TransportError(message: "xhr post error"), now: self.now))
            }
        case 12: self.advance(by: Int64(input.byte()) * Int64(1 + input.int(below: 40)))
        case 13:
            // A firing that raced its cancellation, or came from an earlier generation.
            guard !self.pastTimers.isEmpty else { return }
            let timer = self.pastTimers[input.int(below: self.pastTimers.count)]
            self.timers[timer] = nil
            self.record(self.manager.timerFired(timer, now: self.now))
        case 14: self.emit(namespace, &input)
        case 15: self.record(try? self.manager.sendAck(namespace, ackId: UInt64(input.int(below: 16)), EventArguments(["ok"]), now: self.now))
        case 16:
            if input.bool() {
                self.addSocket(namespace, &input)
            } else {
                self.record(self.manager.removeSocket(namespace, now: self.now))
            }
        case 17:
            if input.bool() {
                try? self.manager.setAuth(namespace, .value(["token": .string("t\(input.byte())")]))
            } else {
                self.record(try? self.manager.provideAuth(namespace, input.bool() ? ["token": "p"] : nil, now: self.now))
            }
        default:
            // Late results from a transport the Manager already closed: ignored.
            guard !self.pastIDs.isEmpty else { return }
            let id = self.pastIDs[input.int(below: self.pastIDs.count)]
            guard self.closed.contains(id) else { return }
            switch input.int(below: 4) {
            case 0: self.record(self.manager.webSocketReceived(id, .text(self.serverText(&input)), now: self.now))
            case 1: self.record(self.manager.pollCompleted(id, body: self.serverText(&input), now: self.now))
            case 2: self.record(self.manager.postCompleted(id, now: self.now))
            default: self.record(self.manager.webSocketClosed(id, description: nil, now: self.now))
            }
        }
    }

    func serverText(_ input: inout FuzzInput) -> String {
        let choice = input.int(below: serverTexts.count + 1)
        guard choice < serverTexts.count else { return String(decoding: input.lengthPrefixed(), as: UTF8.self) }
        return serverTexts[choice]
    }

    mutating func emit(_ namespace: String, _ input: inout FuzzInput) {
        let name = input.pick(["ev", "msg", "disconnect"])
        let arguments = input.pick([EventArguments.empty, EventArguments(["a", 1]), EventArguments([.binary([1, 2, 3])])])
        var options = EmitOptions(volatile: input.byte() & 3 == 0, compress: input.bool())
        if input.bool() {
            options.ack = EmitToken(self.nextToken)
            self.nextToken += 1
            options.timeout = input.pick([nil, 0, 300, 5000] as [Int64?])
        }
        do throws(EmitError) {
            let (_, actions) = try self.manager.emit(namespace, .string(name), arguments, options: options, now: self.now)
            if let token = options.ack { self.awaitingAck.insert(token) }
            self.record(actions)
        } catch {
            return
        }
    }

    /// The server accepts the oldest WebSocket still connecting; a WebSocket-first one then
    /// gets the handshake.
    mutating func acceptWebSocket() {
        guard let id = self.pendingWebSocket(), let socket = self.webSockets[id] else { return }
        self.webSockets[id] = (true, socket.sid)
        self.record(self.manager.webSocketOpened(id, now: self.now))
        if socket.sid == nil, !self.closed.contains(id) {
            self.record(self.manager.webSocketReceived(id, .text("0" + self.handshake), now: self.now))
        }
    }

    func pendingWebSocket() -> ConnectionID? {
        self.webSockets.filter { !$0.value.opened && !self.closed.contains($0.key) }.keys.min { $0.description < $1.description }
    }

    func openWebSocket() -> ConnectionID? {
        self.webSockets.filter { $0.value.opened && !self.closed.contains($0.key) }.keys.max { $0.engine < $1.engine }
    }

    /// The driver's transport is gone (it failed or was closed by the peer).
    mutating func forget(_ id: ConnectionID) {
        self.closed.insert(id)
    }

    /// Moves the clock, firing due timers in deadline order, as ManagerHarness.advance does.
    /// At most 64 firings: `timeout: 0` with `reconnectionDelay: 0` retries at once, forever,
    /// as configured (docs/quirks.md #12).
    mutating func advance(by delta: Int64) {
        let target = self.now + delta
        var firings = 0
        while firings < 64, let (timer, deadline) = self.timers.filter({ $0.value <= target }).min(by: { $0.value < $1.value }) {
            firings += 1
            self.timers[timer] = nil
            self.now = max(self.now, deadline)
            self.record(self.manager.timerFired(timer, now: self.now))
        }
        self.now = target
    }

    // MARK: - Carrying out actions

    mutating func record(_ actions: [ManagerAction]?) {
        for action in actions ?? [] {
            switch action {
            case .get(let id, _):
                check(!self.closed.contains(id), "GET on closed \(id)")
                check(self.gets[id] == nil, "a second GET in flight on \(id)")
                self.gets[id] = self.webSockets[id] == nil && !self.pastIDs.contains(id)
                self.remember(id)
            case .post(let id, _, let body):
                check(!self.closed.contains(id), "POST on closed \(id)")
                check(!self.posts.contains(id), "a second POST in flight on \(id)")
                check(!body.isEmpty, "empty POST on \(id)")
                self.posts.insert(id)
            case .openWebSocket(let id, let sid):
                check(self.webSockets[id] == nil && !self.pastIDs.contains(id), "transport \(id) opened twice")
                self.webSockets[id] = (false, sid)
                self.remember(id)
            case .sendWebSocket(let id, let messages, _):
                check(self.webSockets[id]?.opened == true, "WebSocket messages on \(id), which is not open")
                check(!self.closed.contains(id), "WebSocket messages on closed \(id)")
                check(!messages.isEmpty, "empty WebSocket send on \(id)")
            case .closeTransport(let id):
                self.closed.insert(id)
                self.gets[id] = nil
                self.posts.remove(id)
            case .scheduleTimer(let timer, let delay):
                check(delay >= 0, "\(timer) scheduled \(delay) ms in the past")
                self.timers[timer] = self.now + delay
                if self.pastTimers.count < 64, !self.pastTimers.contains(timer) { self.pastTimers.append(timer) }
            case .cancelTimer(let timer):
                self.timers[timer] = nil
            case .manager:
                break
            case .socket(_, let event):
                if case .ackResult(let token, _) = event {
                    check(self.awaitingAck.remove(token) != nil, "ack result for \(token), which is answered or never asked")
                }
            }
        }
    }

    mutating func remember(_ id: ConnectionID) {
        if !self.pastIDs.contains(id) { self.pastIDs.append(id) }
    }

    // MARK: - Invariants

    func checkInvariants() {
        let manager = self.manager
        let state = manager.state
        check(Set(manager.namespaces).count == manager.namespaces.count, "duplicate namespaces \(manager.namespaces)")
        for namespace in manager.namespaces {
            guard let socket = manager.socket(namespace) else {
                check(false, "no socket for listed \(namespace)")
                continue
            }
            check(manager.observed(namespace) == socket.observed, "observed differs from the socket on \(namespace)")
            switch socket.state {
            case .connecting, .connected, .leaving, .awaitingAuth:
                check(state == .open, "socket \(namespace) is \(socket.state) while the Manager is \(state)")
            case .inactive, .awaitingManager:
                break
            }
            check(socket.isConnected == (socket.id != nil), "connected without an id on \(namespace)")
        }

        let open = manager.openEngine
        if state == .open {
            check(open.sid != nil && open.transport != nil && open.sid == manager.engineId, "open without an engine session")
            check(manager.heartbeatInterval != nil, "open without a heartbeat interval")
            check(self.timers.keys.contains { if case .engine(_, .heartbeat) = $0 { true } else { false } }, "open without a live heartbeat timer")
        } else {
            check(open.sid == nil && open.transport == nil, "openEngine reports a session while \(state)")
        }

        let backoffTimers = self.timers.keys.filter { if case .reconnect = $0 { true } else { false } }
        if state == .waitingToReconnect {
            check(backoffTimers.count == 1, "waiting to reconnect with \(backoffTimers.count) live backoff timers")
        }
        if case .opening = state {
            let timeoutLive = self.timers.keys.contains { if case .connectTimeout = $0 { true } else { false } }
            let transportPending = !self.gets.isEmpty || self.webSockets.keys.contains { !self.closed.contains($0) }
            check(timeoutLive || transportPending, "opening with nothing that can end the attempt")
            if self.handshakeTimeout != nil { check(timeoutLive, "opening without its timeout timer") }
        }
    }
}
