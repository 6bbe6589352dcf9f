import Foundation
import SioClient
import SioJSON
import SioProtocol
import Testing
import TestSupport

/// Sticky sessions behind a load balancer (`Fixtures/sticky_lb.py`): the cookie set on the
/// handshake must come back on every later poll, post and on the WebSocket upgrade, or the
/// balancer answers 400 as if the request had reached the other node.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct StickySessionTests {
    @Test(arguments: [Mode.polling, .upgrade])
    func handshakeCookie_comesBackOnEveryLaterRequest(mode: Mode) async throws {
        let balancer = try await PythonServer(script: "sticky_lb")
        defer { balancer.stop() }
        var options = mode.options
        options.reconnection = false
        try await withManager(balancer.url, options) { manager in
            let managerEvents = EventReader(manager.events)
            let (socket, events) = try await manager.connectedSocket()
            if mode == .upgrade {
                let upgraded = try await managerEvents.first { event -> TransportKind? in
                    if case .upgrade(let kind) = event { kind } else { nil }
                }
                #expect(upgraded == .websocket)
                #expect(manager.transport == .websocket)
            }
            for n in 0..<3 {
                #expect(try await socket.emitWithAck("echo", ["sticky", .number(JSONNumber(n))], timeout: .seconds(5)) == ["sticky", .number(JSONNumber(n))])
            }
            let reply = try await socket.emitWithAck("lb-stats", [], timeout: .seconds(5))
            let stats = try #require(reply.first)
            let count = { (name: String) in stats[name]?.intValue ?? -1 }
            #expect(count("handshakes") == 1)
            #expect(count("rejected") == 0, "no later request came without the cookie")
            #expect(count("later") > 0 && count("later") == count("laterWithCookie"), "\(stats)")
            #expect(count("posts") >= 1, "\(stats)")
            #expect(count("polls") >= 1, "\(stats)")
            if mode == .upgrade {
                #expect(count("webSockets") == 1, "the upgrade went through the balancer with the cookie: \(stats)")
            } else {
                #expect(count("webSockets") == 0)
            }
            #expect(socket.connected)
        }
    }
}
