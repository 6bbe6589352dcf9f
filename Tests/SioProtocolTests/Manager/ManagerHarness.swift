import Foundation
import SioJSON
@testable import SioProtocol

/// Drives a ``ManagerStateMachine`` like a driver would, with a fake clock and timer wheel, and
/// renders what it does as one readable line per action (timers are run, not printed):
/// `> 40` (sent over WebSocket), `manager open`, `/admin connect_error not authorized`, …
struct ManagerHarness {
    var manager: ManagerStateMachine
    var now: Int64 = 0
    /// The current WebSocket, once the manager opened one.
    var webSocket: ConnectionID?
    /// The current polling transport, once the manager opened one.
    var polling: ConnectionID?
    var timers: [ManagerTimer: Int64] = [:]
    var transcript: [String] = []

    static let handshake = #"{"sid":"E1","upgrades":[],"pingInterval":2000,"pingTimeout":1000,"maxPayload":1000000}"#

    init(
        _ configuration: ManagerConfiguration = ManagerConfiguration(engine: EngineConfiguration(transports: [.websocket])),
        sockets: [(String, SocketOptions)] = [("/", SocketOptions())],
        random: [Double] = [0]
    ) {
        self.manager = ManagerStateMachine(configuration: configuration, random: ScriptedRandom(random))
        for (namespace, options) in sockets {
            try! self.manager.addSocket(namespace, options: options)
        }
    }

    /// Runs a call and returns its transcript lines.
    @discardableResult
    mutating func run(_ body: (inout ManagerStateMachine, Int64) throws -> [ManagerAction]) rethrows -> [String] {
        let actions = try body(&self.manager, self.now)
        return self.record(actions)
    }

    mutating func record(_ actions: [ManagerAction]) -> [String] {
        var lines: [String] = []
        for action in actions {
            switch action {
            case .get(let id, let sid):
                self.polling = id
                lines.append(sid == nil ? "GET handshake" : "GET")
            case .post(_, _, let body):
                lines.append("POST " + body.replacingOccurrences(of: "\u{1e}", with: "|"))
            case .openWebSocket(let id, _):
                self.webSocket = id
                lines.append("open websocket")
            case .sendWebSocket(_, let messages, _):
                for message in messages {
                    switch message {
                    case .text(let text): lines.append("> " + text)
                    case .binary(let bytes): lines.append("> <" + bytes.map { String($0) }.joined(separator: ",") + ">")
                    }
                }
            case .closeTransport:
                lines.append("close transport")
            case .scheduleTimer(let timer, let delay):
                self.timers[timer] = self.now + delay
            case .cancelTimer(let timer):
                self.timers[timer] = nil
            case .manager(let event):
                lines.append("manager " + Self.describe(event))
            case .socket(let namespace, let event):
                lines.append(namespace + " " + Self.describe(event))
            }
        }
        self.transcript += lines
        return lines
    }

    /// Moves the clock, firing due timers in deadline order; returns what they did.
    @discardableResult
    mutating func advance(to time: Int64) -> [String] {
        var lines: [String] = []
        while let (timer, deadline) = self.timers.filter({ $0.value <= time }).min(by: { $0.value < $1.value }) {
            self.timers[timer] = nil
            self.now = max(self.now, deadline)
            lines += self.run { $0.timerFired(timer, now: $1) }
        }
        self.now = max(self.now, time)
        return lines
    }

    /// The server accepts the WebSocket and sends its handshake.
    @discardableResult
    mutating func acceptWebSocket(handshake: String = ManagerHarness.handshake) -> [String] {
        guard let id = self.webSocket else { return ["no websocket"] }
        return self.run { $0.webSocketOpened(id, now: $1) } + self.server("0" + handshake)
    }

    /// The server sends a text frame.
    @discardableResult
    mutating func server(_ text: String) -> [String] {
        guard let id = self.webSocket else { return ["no websocket"] }
        return self.run { $0.webSocketReceived(id, .text(text), now: $1) }
    }

    /// The server sends a binary frame.
    @discardableResult
    mutating func server(binary: [UInt8]) -> [String] {
        guard let id = self.webSocket else { return ["no websocket"] }
        return self.run { $0.webSocketReceived(id, .binary(binary), now: $1) }
    }

    /// The WebSocket failed (refused, reset).
    @discardableResult
    mutating func webSocketFails(_ message: String = "websocket error") -> [String] {
        guard let id = self.webSocket else { return ["no websocket"] }
        return self.run { $0.webSocketFailed(id, TransportError(message: message), now: $1) }
    }

    /// The server closed the WebSocket.
    @discardableResult
    mutating func webSocketCloses() -> [String] {
        guard let id = self.webSocket else { return ["no websocket"] }
        return self.run { $0.webSocketClosed(id, description: nil, now: $1) }
    }

    /// Opens, handshakes and connects the main namespace with sid `S`.
    mutating func connected() {
        _ = try! self.run { try $0.connect("/", now: $1) }
        self.acceptWebSocket()
        self.server(#"40{"sid":"S"}"#)
    }

    @discardableResult
    mutating func emit(_ name: String, _ args: [JSON] = [], namespace: String = "/", _ options: EmitOptions = EmitOptions()) throws -> (EmitStatus, [String]) {
        let (status, actions) = try self.manager.emit(namespace, .string(name), EventArguments(args), options: options, now: self.now)
        return (status, self.record(actions))
    }

    static func describe(_ event: ManagerEvent) -> String {
        switch event {
        case .open: "open"
        case .error(let error): "error " + error.summary
        case .close(let reason, _): "close " + reason.rawValue
        case .ping: "ping"
        case .packet(let packet): "packet " + packet.encodedText
        case .upgrade(let kind): "upgrade " + kind.rawValue
        case .reconnectAttempt(let n): "reconnect_attempt \(n)"
        case .reconnect(let n): "reconnect \(n)"
        case .reconnectError(let error): "reconnect_error " + error.summary
        case .reconnectFailed: "reconnect_failed"
        case .enginePacket(let direction, let packet): "engine \(direction.rawValue) " + packet.encodedText
        case .drain: "drain"
        }
    }

    static func describe(_ event: SocketEvent) -> String {
        switch event {
        case .connect(let id, let recovered): "connect \(id)" + (recovered ? " recovered" : "")
        case .connectError(let error): "connect_error " + error.description
        case .disconnect(let reason, _): "disconnect " + reason.rawValue
        case .event(let event): "event \(event.name) \(event.arguments.text.string)" + (event.ackId.map { " ack \($0)" } ?? "")
        case .ackResult(let token, .success(let arguments)): "ack \(token.rawValue) \(arguments.text.string)"
        case .ackResult(let token, .failure(let error)): "ack \(token.rawValue) error \(error)"
        case .authRequested: "auth requested"
        case .eventsDropped(let n): "events dropped \(n)"
        case .sent(let event): "sent \(event.name) \(event.arguments.text.string)" + (event.ackId.map { " ack \($0)" } ?? "")
        }
    }

    func socket(_ namespace: String = "/") -> NamespaceStateMachine { self.manager.socket(namespace)! }

    func timer(_ match: (ManagerTimer) -> Bool) -> Int64? {
        self.timers.first { match($0.key) }?.value
    }
}
