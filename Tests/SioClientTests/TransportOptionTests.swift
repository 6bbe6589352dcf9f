import Foundation
import SioClient
import SioJSON
import SioProtocol
import Testing
import TestSupport

/// `rememberUpgrade`, `tryAllTransports` and `perMessageDeflate` against live servers.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct TransportOptionTests {
    @Test func rememberUpgrade_startsTheNextSessionOnWebSocket() async throws {
        let server = try await PythonServer()
        defer { server.stop() }
        var options = ManagerOptions.transports([.polling, .websocket])
        options.rememberUpgrade = true
        options.reconnectionDelay = .milliseconds(50)
        options.randomizationFactor = 0
        try await withManager(server.url, options) { manager in
            let managerEvents = EventReader(manager.events)
            let socket = try manager.socket()
            let events = EventReader(socket.events)
            socket.connect()
            _ = try await managerEvents.first { event -> Bool? in if case .upgrade(.websocket) = event { true } else { nil } }
            let first = try await events.first { $0.incoming(named: "session") }
            #expect(try first.arguments.values() == [["transport": "polling"]])
            manager.dropConnection()
            // The server saw the next session start on WebSocket, without polling first.
            let next = try await events.first { $0.incoming(named: "session") }
            #expect(try next.arguments.values() == [["transport": "websocket"]])
            _ = try await events.first { $0.connectedId }
            #expect(manager.transport == .websocket)
        }
    }

    @Test func tryAllTransports_fallsBackToPolling_whenWebSocketIsRefused() async throws {
        let server = try await PythonServer(["--transports", "polling"])
        defer { server.stop() }
        var options = ManagerOptions.transports([.websocket, .polling])
        options.tryAllTransports = true
        try await withManager(server.url, options) { manager in
            let (socket, events) = try await manager.connectedSocket()
            #expect(manager.transport == .polling)
            #expect(try await socket.emitWithAck("echo", ["over polling"], timeout: .seconds(5)) == ["over polling"])
        }
    }

    @Test func withoutTryAllTransports_aRefusedWebSocketIsAConnectError() async throws {
        let server = try await PythonServer(["--transports", "polling"])
        defer { server.stop() }
        var options = ManagerOptions.transports([.websocket, .polling])
        options.reconnection = false
        try await withManager(server.url, options) { manager in
            let socket = try manager.socket()
            let events = EventReader(socket.events)
            socket.connect()
            let error = try await events.first { $0.connectError }
            guard case .transport(let transportError) = error else { Issue.record("\(error)"); return }
            #expect(transportError.message == "websocket error")
        }
    }

    @Test(arguments: [false, true])
    func perMessageDeflate_isNegotiatedOnlyWhenAsked(enabled: Bool) async throws {
        let server = try await PythonServer(script: "deflate_probe")
        defer { server.stop() }
        var options = ManagerOptions.transports([.websocket])
        options.perMessageDeflate = enabled
        try await withManager(server.url, options) { manager in
            let (socket, events) = try await manager.connectedSocket()
            let report = try await socket.emitWithAck("negotiated", [], timeout: .seconds(5))
            let offered = report.count == 2 ? report[1].stringValue ?? "" : ""
            #expect(offered.contains("permessage-deflate") == enabled, "the upgrade request offers the extension only when asked")
            let compress = report.first?.intValue ?? (report.first?.boolValue == true ? 1 : 0)
            #expect((compress != 0) == enabled, "the server uses it: \(report)")
        }
    }
}
