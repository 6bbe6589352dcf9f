import Foundation
import SioClient
import SioJSON
import SioProtocol
import Testing
import TestSupport

/// Both transports through an HTTP CONNECT proxy (`Fixtures/connect_proxy.py`, which logs each
/// CONNECT it tunnels) to python-socketio.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct ProxyTests {
    @Test(arguments: Mode.allCases)
    func connectProxy_carriesTheTransport(mode: Mode) async throws {
        let directory = try TemporaryDirectory()
        let log = directory.file("connects.log")
        let proxy = try await PythonServer(["--log", log], script: "connect_proxy")
        defer { proxy.stop() }
        let server = try await PythonServer()
        defer { server.stop() }
        var options = mode.options
        options.proxy = ManagerOptions.Proxy(host: "127.0.0.1", port: proxy.port)
        try await withManager(server.url, options) { manager in
            let managerEvents = EventReader(manager.events)
            let (socket, events) = try await manager.connectedSocket()
            if mode == .upgrade {
                let upgraded = try await managerEvents.first { event -> TransportKind? in
                    if case .upgrade(let kind) = event { kind } else { nil }
                }
                #expect(upgraded == .websocket)
            }
            #expect(try await socket.emitWithAck("echo", ["proxied", .string(mode.rawValue)], timeout: .seconds(5)) == ["proxied", .string(mode.rawValue)])
        }
        // Each line was written before the proxy answered its CONNECT, so all are in the file.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty, "the client went through the proxy")
        #expect(lines.allSatisfy { $0 == "CONNECT 127.0.0.1:\(server.port)" }, "\(lines)")
        if mode == .upgrade {
            #expect(lines.count >= 2, "the polling requests and the WebSocket each tunnelled: \(lines)")
        }
    }
}
