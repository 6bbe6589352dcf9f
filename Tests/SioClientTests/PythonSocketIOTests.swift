import Foundation
import SioClient
import SioJSON
import SioProtocol
import Testing
import TestSupport

/// The transports a test runs over.
enum Mode: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case websocket, polling, upgrade

    var options: ManagerOptions {
        switch self {
        case .websocket: .transports([.websocket])
        case .polling: .transports([.polling]) { $0.upgrade = false }
        case .upgrade: .transports([.polling, .websocket])
        }
    }

    var testDescription: String { self.rawValue }
}

/// The live client against python-socketio (a server nobody here wrote), over each transport.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct PythonSocketIOTests {
    @Test(arguments: Mode.allCases)
    func connect_auth_eventsBeforeConnect_andAcks(mode: Mode) async throws {
        let server = try await PythonServer()
        defer { server.stop() }
        try await withManager(server.url, mode.options) { manager in
            let socket = try manager.socket("/", auth: ["token": "abc"])
            let events = EventReader(socket.events)
            socket.connect()
            // python-socketio emits `welcome` from its connect handler, before the CONNECT reply.
            let welcome = try #require(try await events.next().incoming)
            #expect(welcome.name == "welcome")
            #expect(try welcome.arguments.values() == [["hello": "world", "auth": ["token": "abc"]]])
            let session = try await events.first { $0.incoming(named: "session") }
            #expect(try session.arguments.values() == [["transport": mode == .websocket ? "websocket" : "polling"]])
            let id = try #require(try await events.next().connectedId, "connect comes after the events sent before the reply")
            #expect(socket.id == id && socket.connected && socket.active)
            let echoed = try await socket.emitWithAck("echo", ["hi", 1, ["a": [true]]], timeout: .seconds(5))
            #expect(echoed == ["hi", 1, ["a": [true]]])
            #expect(try await socket.emit("emit-back", ["x", 2]) == .sent)
            let back = try await events.first { $0.incoming(named: "back") }
            #expect(try back.arguments.values() == [["x", 2]])
        }
    }

    /// A message of a megabyte arrives whole, and its echo comes back whole. Over polling the
    /// server reads the POST body whole (`--read-whole-posts`): python-engineio's aiohttp
    /// driver otherwise keeps only what aiohttp had buffered of a body over about 200 KB,
    /// from any client, python-socketio's own included (docs/quirks.md).
    @Test(arguments: Mode.allCases)
    func aOneMegabyteEmit_arrivesWhole(mode: Mode) async throws {
        let server = try await PythonServer(["--max-http-buffer-size", "4000000", "--read-whole-posts"])
        defer { server.stop() }
        try await withManager(server.url, mode.options) { manager in
            let (socket, _) = try await manager.connectedSocket()
            let big = String(repeating: "0123456789abcdef", count: 65_536)
            let echoed = try await socket.emitWithAck("echo", [.string(big), .binary([UInt8](repeating: 7, count: 100_000))], timeout: .seconds(20))
            #expect(echoed.first?.stringValue?.count == big.count)
            #expect(echoed.last?.binaryValue?.count == 100_000)
        }
    }

    @Test(arguments: Mode.allCases)
    func binary_bothWays_nested(mode: Mode) async throws {
        let server = try await PythonServer()
        defer { server.stop() }
        try await withManager(server.url, mode.options) { manager in
            let (socket, events) = try await manager.connectedSocket()
            let payload: JSON = ["bytes": .binary([1, 2, 3, 4]), "list": [.binary([]), .binary([255])]]
            let ack = try await socket.emitWithAck("bin", [payload], timeout: .seconds(5))
            #expect(ack == [[.binary([9, 8]), payload]])
            let back = try await events.first { $0.incoming(named: "binback") }
            #expect(try back.arguments.values() == [[
                "buf": .binary([1, 2, 3]), "nested": [.binary([4]), ["deep": .binary([5, 6])]], "got": payload,
            ]])
        }
    }

    @Test(arguments: Mode.allCases)
    func serverAsks_clientAcks(mode: Mode) async throws {
        let server = try await PythonServer()
        defer { server.stop() }
        try await withManager(server.url, mode.options) { manager in
            let (socket, events) = try await manager.connectedSocket()
            try await socket.emit("ask", ["life?"])
            let question = try await events.first { $0.incoming(named: "question") }
            #expect(try question.arguments.values() == ["life?"])
            let ackId = try #require(question.ackId)
            try await socket.ack(ackId, [42, .binary([7])])
            let answer = try await events.first { $0.incoming(named: "answer") }
            #expect(try answer.arguments.values() == [42, .binary([7])], "python passes every ack argument on")
        }
    }

    @Test(arguments: Mode.allCases)
    func namespaces_shareOneEngineSession_andMiddlewareRefusal(mode: Mode) async throws {
        let server = try await PythonServer()
        defer { server.stop() }
        try await withManager(server.url, mode.options) { manager in
            let main = try manager.socket()
            let admin = try manager.socket("/admin", auth: ["token": "bad"])
            let mainEvents = EventReader(main.events)
            let adminEvents = EventReader(admin.events)
            main.connect()
            admin.connect()
            _ = try await mainEvents.first { $0.connectedId }
            let refusal = try await adminEvents.first { $0.connectError }
            #expect(refusal == .refused(message: "not authorized", data: ["code": 42]))
            #expect(!admin.active, "refused: no reconnection")
            admin.setAuth(["token": "ok"])
            admin.connect()
            _ = try await adminEvents.first { $0.connectedId }
            let mainEngine = try await main.emitWithAck("engine-sid", [], timeout: .seconds(5))
            let adminEngine = try await admin.emitWithAck("engine-sid", [], timeout: .seconds(5))
            #expect(mainEngine == adminEngine, "one Engine.IO session carries both namespaces")
            #expect(main.id != admin.id)
        }
    }

    @Test(arguments: Mode.allCases)
    func serverDisconnect_isFinal(mode: Mode) async throws {
        let server = try await PythonServer()
        defer { server.stop() }
        try await withManager(server.url, mode.options) { manager in
            let (socket, events) = try await manager.connectedSocket()
            try await socket.emit("kick")
            let reason = try await events.first { $0.disconnectReason }
            #expect(reason == .ioServerDisconnect)
            #expect(!socket.active && !socket.connected && socket.id == nil)
        }
    }

    @Test func outgoingEvents_areReported_onAnyOutgoing() async throws {
        let server = try await PythonServer()
        defer { server.stop() }
        var options = Mode.websocket.options
        options.reportsOutgoingEvents = true
        try await withManager(server.url, options) { manager in
            let (socket, events) = try await manager.connectedSocket()
            try await socket.emit("emit-back", ["out"])
            let sent = try await events.first { event -> IncomingEvent? in if case .sent(let e) = event { e } else { nil } }
            #expect(sent.name == "emit-back")
            #expect(try sent.arguments.values() == ["out"])
        }
    }

    @Test func upgrade_movesToWebSocket() async throws {
        let server = try await PythonServer()
        defer { server.stop() }
        try await withManager(server.url, Mode.upgrade.options) { manager in
            let managerEvents = EventReader(manager.events)
            let socket = try manager.socket()
            socket.connect()
            let upgraded = try await managerEvents.first { event -> TransportKind? in
                if case .upgrade(let kind) = event { kind } else { nil }
            }
            #expect(upgraded == .websocket)
            #expect(manager.transport == .websocket)
            #expect(try await socket.emitWithAck("echo", ["after upgrade"], timeout: .seconds(5)) == ["after upgrade"])
        }
    }
}
