import Foundation
import SioClient
import SioJSON
import SioProtocol
import Testing
import TestSupport

/// A server fault `Fixtures/fault_server.py` injects into its first session, the transports it is
/// tried over, and the disconnect reason the client must report (docs/behaviour.md
/// § Engine close reasons, § Socket.IO packets, § Disconnect reasons).
struct Fault: Sendable, CustomTestStringConvertible {
    var name: String
    var mode: Mode
    var reason: DisconnectReason
    /// The disconnect's description; nil where two outcomes are legitimate.
    var detail: String?

    var testDescription: String { "\(self.name) over \(self.mode.rawValue) ⇒ \(self.reason.rawValue)" }

    static let disconnecting: [Fault] = [
        // An Engine.IO packet that does not parse ⇒ engine error ⇒ "transport error"
        // (docs/behaviour.md § Engine.IO packets).
        Fault(name: "garbage-eio", mode: .websocket, reason: .transportError, detail: "parser error"),
        Fault(name: "garbage-eio", mode: .polling, reason: .transportError, detail: "parser error"),
        // A Socket.IO packet the decoder refuses (reserved event name) ⇒ "parse error"
        // (socket.io-parser `isPayloadValid`; docs/quirks.md #14).
        Fault(name: "garbage-sio", mode: .websocket, reason: .parseError, detail: "invalid payload"),
        Fault(name: "garbage-sio", mode: .polling, reason: .parseError, detail: "invalid payload"),
        // A message cut inside its JSON: valid Engine.IO, invalid Socket.IO ⇒ "parse error".
        Fault(name: "truncated-sio", mode: .websocket, reason: .parseError, detail: "invalid payload"),
        Fault(name: "truncated-sio", mode: .polling, reason: .parseError, detail: "invalid payload"),
        // A poll body cut after a separator: the empty packet is an Engine.IO error
        // (engine.io-parser `decodePayload`).
        Fault(name: "trailing-separator", mode: .polling, reason: .transportError, detail: "parser error"),
        // Any non-200 poll ⇒ "xhr poll error" ⇒ "transport error" (docs/behaviour.md § Polling).
        Fault(name: "http-400", mode: .polling, reason: .transportError, detail: "xhr poll error: 400"),
        Fault(name: "http-500", mode: .polling, reason: .transportError, detail: "xhr poll error: 500"),
        // The server closes the polling transport (`1`) while the probe waits for `5`
        // (docs/behaviour.md § Upgrade); when the client's pause completed first, it closes the
        // upgraded WebSocket instead.
        Fault(name: "main-close", mode: .upgrade, reason: .transportClose, detail: nil),
    ]
}

/// The client against a server of our own that breaks the protocol on purpose: every fault
/// ends in its documented disconnect reason and a reconnection — never a crash or a hang.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct FaultInjectionTests {
    private func options(_ mode: Mode) -> ManagerOptions {
        var options = mode.options
        options.reconnectionDelay = .milliseconds(100)
        options.reconnectionDelayMax = .milliseconds(400)
        options.randomizationFactor = 0
        options.timeout = .seconds(10)
        return options
    }

    @Test(arguments: Fault.disconnecting)
    func faultyServer_endsInTheDocumentedReason_andReconnects(fault: Fault) async throws {
        let server = try await PythonServer(["--fault", fault.name], script: "fault_server")
        defer { server.stop() }
        try await withManager(server.url, self.options(fault.mode)) { manager in
            let managerEvents = EventReader(manager.events)
            let socket = try manager.socket()
            let events = EventReader(socket.events)
            socket.connect()
            let firstId = try await events.first { $0.connectedId }
            let (reason, description) = try await events.first { event -> (DisconnectReason, String?)? in
                if case .disconnect(let reason, let description) = event { (reason, description) } else { nil }
            }
            #expect(reason == fault.reason)
            if let detail = fault.detail { #expect(description == detail) }
            #expect(socket.active, "\(reason) reconnects (docs/behaviour.md § Disconnect reasons)")
            let closed = try await managerEvents.first { event -> DisconnectReason? in
                if case .close(let reason, _) = event { reason } else { nil }
            }
            #expect(closed == fault.reason)
            let attempt = try await managerEvents.first { event -> Int? in
                if case .reconnectAttempt(let n) = event { n } else { nil }
            }
            #expect(attempt == 1, "the first attempt comes first")
            let reconnected = try await managerEvents.first { event -> Int? in
                if case .reconnect(let n) = event { n } else { nil }
            }
            #expect(reconnected >= 1, "a loaded machine may need a second attempt")
            let secondId = try await events.first { $0.connectedId }
            #expect(secondId != firstId)
            #expect(try await socket.emitWithAck("echo", [.string(fault.name)], timeout: .seconds(5)) == [.string(fault.name)])
            if fault.mode == .upgrade {
                // The second session is served normally: the upgrade now succeeds.
                let upgraded = try await managerEvents.first { event -> TransportKind? in
                    if case .upgrade(let kind) = event { kind } else { nil }
                }
                #expect(upgraded == .websocket)
            }
        }
    }

    /// A probe closed after `3probe`, before `5`, races with the held poll: when the probe's
    /// close is seen first the upgrade is abandoned and polling goes on; when the poll returns
    /// first the client swaps to the closing WebSocket and then loses it (`transport close`),
    /// as the reference client would. Either way the session recovers, never hangs or crashes.
    @Test func probeClosedAfterItsAnswer_staysOnPollingOrReconnects() async throws {
        let server = try await PythonServer(["--fault", "probe-close"], script: "fault_server")
        defer { server.stop() }
        try await withManager(server.url, self.options(.upgrade)) { manager in
            let (socket, events) = try await manager.connectedSocket()
            let outcome = try await events.first { event -> String? in
                if event.incoming(named: "probe-closed") != nil { return "stayed on polling" }
                return event.disconnectReason?.rawValue
            }
            if outcome != "stayed on polling" {
                #expect(outcome == DisconnectReason.transportClose.rawValue)
                _ = try await events.first { $0.connectedId }
            }
            #expect(try await socket.emitWithAck("echo", ["recovered"], timeout: .seconds(5)) == ["recovered"])
        }
    }

    /// A probe that fails — closed unanswered, or closed after `3probe` before `5` — abandons the
    /// upgrade (docs/behaviour.md § Upgrade, step 6); the session goes on over polling without a
    /// disconnect. (The reference leaves polling paused after a failure past `3probe`; we resume
    /// it: docs/quirks.md § Other decisions.)
    @Test(arguments: ["probe-refused"])
    func failedUpgradeProbe_keepsTheSessionOnPolling(fault: String) async throws {
        let server = try await PythonServer(["--fault", fault], script: "fault_server")
        defer { server.stop() }
        try await withManager(server.url, self.options(.upgrade)) { manager in
            let managerEvents = EventReader(manager.events)
            let socket = try manager.socket()
            let events = EventReader(socket.events)
            socket.connect()
            var connectedId: String?
            var probeClosed = false
            while connectedId == nil || !probeClosed {
                switch try await events.next() {
                case .connect(let id, _): connectedId = id
                case .event(let event) where event.name == "probe-closed": probeClosed = true
                case let other: Issue.record("unexpected \(other)")
                }
            }
            #expect(try await socket.emitWithAck("echo", ["still polling"], timeout: .seconds(5)) == ["still polling"])
            #expect(manager.transport == .polling)
            #expect(socket.id == connectedId && socket.connected)
            // Nothing closed the engine: the next manager event is the close we cause now.
            manager.dropConnection()
            let first = try await managerEvents.first { event -> String? in
                switch event {
                case .close(let reason, _): return reason.rawValue
                case .upgrade, .error: return "\(event)"
                default: return nil
                }
            }
            #expect(first == DisconnectReason.forcedClose.rawValue)
            #expect(try await events.first { $0.disconnectReason } == .forcedClose)
            // The next session is served normally and upgrades.
            let upgraded = try await managerEvents.first { event -> TransportKind? in
                if case .upgrade(let kind) = event { kind } else { nil }
            }
            #expect(upgraded == .websocket)
            _ = try await events.first { $0.connectedId }
        }
    }
}
