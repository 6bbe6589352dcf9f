import Foundation
import SioClient
import SioJSON
import SioProtocol
import Testing
import TestSupport

/// Losing and regaining python-socketio: reconnection with backoff, heartbeats, buffered emits.
@Suite(.serialized, .enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct ReconnectionTests {
    private func fast(_ mode: Mode, _ change: (inout ManagerOptions) -> Void = { _ in }) -> ManagerOptions {
        var options = mode.options
        options.reconnectionDelay = .milliseconds(100)
        options.reconnectionDelayMax = .milliseconds(400)
        options.randomizationFactor = 0
        options.timeout = .seconds(2)
        change(&options)
        return options
    }

    @Test(arguments: Mode.allCases)
    func killedAndRestartedServer_reconnectsWithBackoff_andFlushesBufferedEmitsInOrder(mode: Mode) async throws {
        let server = try await PythonServer()
        let options = self.fast(mode)
        try await withManager(server.url, options) { manager in
            let managerEvents = EventReader(manager.events)
            let socket = try manager.socket()
            let events = EventReader(socket.events)
            socket.connect()
            let firstId = try await events.first { $0.connectedId }
            server.stop()
            let reason = try await events.first { $0.disconnectReason }
            #expect(reason == .transportClose || reason == .transportError)
            #expect(socket.active, "a lost connection reconnects")
            // While disconnected: emits wait in the buffer; a volatile one is dropped.
            #expect(try await socket.emit("emit-back", ["first"]) == .buffered)
            #expect(try await socket.emit("emit-back", ["volatile"], volatile: true) == .dropped)
            #expect(try await socket.emit("emit-back", ["second"]) == .buffered)
            let attempt = try await managerEvents.first { event -> Int? in
                if case .reconnectAttempt(let n) = event { n } else { nil }
            }
            #expect(attempt == 1)
            try await server.restart()
            let reconnected = try await managerEvents.first(timeout: .seconds(15)) { event -> Int? in
                if case .reconnect(let n) = event { n } else { nil }
            }
            #expect(reconnected >= 1)
            let secondId = try await events.first { $0.connectedId }
            #expect(secondId != firstId)
            let first = try await events.first { $0.incoming(named: "back") }
            let second = try await events.first { $0.incoming(named: "back") }
            #expect(try first.arguments.values() == [["first"]])
            #expect(try second.arguments.values() == [["second"]], "flushed in order; the volatile emit never went out")
        }
        server.stop()
    }

    @Test(arguments: Mode.allCases)
    func suspendedServer_isPingTimeout(mode: Mode) async throws {
        let server = try await PythonServer(["--ping-interval", "0.3", "--ping-timeout", "0.3"])
        defer { server.stop() }
        try await withManager(server.url, self.fast(mode)) { manager in
            let (socket, events) = try await manager.connectedSocket()
            server.suspend()
            let reason = try await events.first(timeout: .seconds(5)) { $0.disconnectReason }
            #expect(reason == .pingTimeout)
            #expect(socket.active)
            server.resume()
            _ = try await events.first(timeout: .seconds(10)) { $0.connectedId }
        }
    }

    @Test(arguments: Mode.allCases)
    func reconnectionAttemptsExhausted_isReconnectFailed(mode: Mode) async throws {
        let server = try await PythonServer()
        let url = server.url
        server.stop()
        let options = self.fast(mode) { $0.reconnectionAttempts = 2 }
        try await withManager(url, options) { manager in
            let managerEvents = EventReader(manager.events)
            let socket = try manager.socket()
            let events = EventReader(socket.events)
            socket.connect()
            let error = try await events.first { $0.connectError }
            guard case .transport(let transportError) = error else { Issue.record("\(error)"); return }
            #expect(transportError.message == (mode == .websocket ? "websocket error" : "xhr poll error"))
            var attempts: [Int] = []
            let failed = try await managerEvents.first { event -> Bool? in
                switch event {
                case .reconnectAttempt(let n): attempts.append(n); return nil
                case .reconnectFailed: return true
                default: return nil
                }
            }
            #expect(failed)
            #expect(attempts == [1, 2])
            #expect(socket.active, "reference: still active after reconnect_failed (docs/quirks.md #13)")
        }
    }

    @Test(arguments: Mode.allCases)
    func ackTimeout_andRetries(mode: Mode) async throws {
        let server = try await PythonServer()
        defer { server.stop() }
        try await withManager(server.url, self.fast(mode)) { manager in
            let (socket, events) = try await manager.connectedSocket()
            // `never-answered` has no handler: python-socketio sends no ack, so the timeout fires.
            await #expect(throws: ClientError.ack(.timedOut)) {
                try await socket.emitWithAck("never-answered", ["x"], timeout: .milliseconds(200))
            }
            #expect(try await socket.emitWithAck("echo", ["still fine"], timeout: .seconds(5)) == ["still fine"])
        }
        try await withManager(server.url, self.fast(mode)) { manager in
            let (socket, events) = try await manager.connectedSocket(options: SocketOptions(retries: 2, ackTimeout: 200))
            let started = ContinuousClock.now
            await #expect(throws: ClientError.ack(.timedOut)) {
                try await socket.emitWithAck("never-answered", ["y"])
            }
            #expect(ContinuousClock.now - started >= .milliseconds(550), "three tries of 200 ms")
            #expect(try await socket.emitWithAck("echo", ["after"]) == ["after"], "the queue moves on")
        }
    }
}
