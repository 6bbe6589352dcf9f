import Foundation
import SioClient
import SioJSON
import SioProtocol
import Testing
import TestSupport

/// Connection state recovery (docs/behaviour.md § Connection state recovery) against
/// `Fixtures/csr_server.py`: python-socketio does not implement recovery, so this small server
/// of our own implements its server side as the protocol describes it (pid in the CONNECT
/// reply, an offset on every event, missed events replayed before the CONNECT reply of a
/// restored session).
@Suite(.serialized, .enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct ConnectionStateRecoveryTests {
    private var options: ManagerOptions {
        .transports([.websocket]) {
            $0.reconnectionDelay = .milliseconds(100)
            $0.reconnectionDelayMax = .milliseconds(400)
            $0.randomizationFactor = 0
            $0.timeout = .seconds(10)
        }
    }

    /// What the server saw: every CONNECT payload, and the pid of every CONNECT reply.
    private func connects(_ socket: Socket) async throws -> (payloads: [JSON], pids: [String]) {
        let ack = try await socket.emitWithAck("connects", [], timeout: .seconds(5))
        let payloads = try #require(ack.first?.arrayValue)
        let pids = try #require(ack.last?.arrayValue).compactMap(\.stringValue)
        return (payloads, pids)
    }

    @Test func connectionStateRecovery_withOurOwnSpecServer_restoresTheSession() async throws {
        let server = try await PythonServer(script: "csr_server")
        defer { server.stop() }
        try await withManager(server.url, self.options) { manager in
            let managerEvents = EventReader(manager.events)
            let socket = try manager.socket("/", auth: ["token": "abc"])
            let events = EventReader(socket.events)
            socket.connect()
            guard case .connect(let firstId, let firstRecovered) = try await events.next() else {
                Issue.record("expected connect"); return
            }
            #expect(!firstRecovered && !socket.recovered)

            // One event, so the client holds an offset: none, no recovery (docs/quirks.md #20).
            try await socket.emit("tick")
            let tick = try await events.first { $0.incoming(named: "tick") }
            let offset = try #require(tick.arguments.lastStringArgument)
            #expect(try tick.arguments.values() == [1, .string(offset)], "the offset stays in the arguments")
            let before = try await self.connects(socket)
            #expect(before.payloads == [["token": "abc"]], "no pid yet: the first CONNECT carries only auth")
            let pid = try #require(before.pids.first)

            // The server emits three events while no client is connected.
            _ = try await socket.emitWithAck("arm", [3], timeout: .seconds(5))
            manager.dropConnection()
            #expect(try await events.next().disconnectReason == .forcedClose)
            _ = try await managerEvents.first { event -> Int? in
                if case .reconnectAttempt(let n) = event { n } else { nil }
            }

            // The missed events arrive in order, before `connect`, which reports the recovery.
            for n in 1...3 {
                let missed = try #require(try await events.next().incoming, "missed event \(n) before connect")
                #expect(missed.name == "missed")
                #expect(try missed.arguments.values().first == .number(JSONNumber(n)))
                #expect(missed.arguments.lastStringArgument != nil)
            }
            guard case .connect(let secondId, let recovered) = try await events.next() else {
                Issue.record("expected connect after the missed events"); return
            }
            #expect(recovered && socket.recovered)
            #expect(secondId == firstId, "a restored session keeps its socket id")

            let after = try await self.connects(socket)
            #expect(after.payloads.count == 2)
            #expect(after.payloads.last == ["pid": .string(pid), "offset": .string(offset), "token": "abc"],
                    "the reconnection's CONNECT carries pid and the last offset, merged with auth")
            #expect(after.pids == [pid, pid], "the server answered with the same pid")
            #expect(try await socket.emitWithAck("echo", ["still here"], timeout: .seconds(5)) == ["still here"])
        }
    }

    @Test func connectionStateRecovery_withOurOwnSpecServer_noEventReceived_isANewSession() async throws {
        let server = try await PythonServer(script: "csr_server")
        defer { server.stop() }
        try await withManager(server.url, self.options) { manager in
            let socket = try manager.socket()
            let events = EventReader(socket.events)
            socket.connect()
            let firstId = try await events.first { $0.connectedId }
            let pid = try #require(try await self.connects(socket).pids.first)
            manager.dropConnection()
            #expect(try await events.first { $0.disconnectReason } == .forcedClose)
            guard case .connect(let secondId, let recovered) = try await events.next() else {
                Issue.record("expected connect"); return
            }
            #expect(!recovered && !socket.recovered, "no offset: the server cannot restore (socket.io#4888)")
            #expect(secondId != firstId)
            let after = try await self.connects(socket)
            #expect(after.payloads.last == ["pid": .string(pid)], "pid without offset")
            #expect(after.pids.count == 2 && after.pids.last != pid, "a new session has a new pid")
        }
    }
}
