import Foundation
import SioJSON
import Testing
import TestSupport

/// What a program can watch beyond a socket's own events (docs/rpc.md § Notifications), against
/// python-socketio: the engine's ping, drain and close (with the reference's reasons), and
/// the events every client emits on a shared socket.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct ObservableEventsTests {
    @Test(arguments: ["websocket", "polling"])
    func engine_pingDrainAndClose(transport: String) async throws {
        let scratch = Scratch()
        let server = try await PythonServer(["--ping-interval", "1", "--ping-timeout", "1"])
        let siod = try await SiodProcess(in: scratch)
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe", ["sockets": ["e"], "engine": true])
        try client.call("socket.open", ["socket": "e", "url": .string(server.url), "transports": [.string(transport)]])
        try client.waitConnected("e")

        // manager.ping at the server's ping interval.
        _ = try client.notification("manager.ping")
        let first = ContinuousClock.now
        _ = try client.notification("manager.ping")
        let interval = ContinuousClock.now - first
        #expect(interval > .milliseconds(500) && interval < .seconds(3), "pings \(interval) apart, the server says 1 s")

        // engine.drain once a burst of emits has left.
        client.forgetNotifications()
        for i in 0..<50 { try client.call("socket.emit", ["socket": "e", "event": "burst", "args": [.number(JSONNumber(i))]]) }
        let drained = try client.notification("engine.drain")
        #expect(drained["socket"] == "e")

        // A frozen server: the heartbeat expires.
        server.suspend()
        let frozen = try client.notification("engine.close")
        #expect(frozen["reason"] == "ping timeout", "\(frozen)")
        server.resume()
        try client.waitConnected("e")

        // A killed server: the transport closes.
        client.forgetNotifications()
        server.stop()
        let killed = try client.notification("engine.close")
        let reason = killed["reason"]?.stringValue
        #expect(reason == "transport close" || reason == "transport error", "\(killed)")
        try await siod.stop()
    }

    /// A namespace CONNECT python-socketio never answers (its connect handler waits on an event
    /// nobody sets): after the socket's `timeout`, connect_error `timeout`, still active; then
    /// it is tried again.
    @Test func namespaceConnect_unanswered_failsWithTimeout_andIsRetried() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe", ["sockets": ["slow"]])
        try client.call("socket.open", [
            "socket": "slow", "url": .string(server.url), "namespace": "/slow", "transports": ["websocket"],
            "timeout": 500, "reconnectionDelay": 100,
        ])
        let first = try client.notification("socket.connect_error")
        #expect(first["message"] == "timeout" && first["active"] == true, "\(first)")
        let again = try client.notification("socket.connect_error")
        #expect(again["message"] == "timeout", "tried again, timed out again")
        try await siod.stop()
        server.stop()
    }

    /// One event larger than a client's whole notification queue is not queued whole: the
    /// client gets events.lagged with its seq and size instead, then what follows.
    @Test func anEventLargerThanTheQueue_becomesEventsLagged_withItsSeqAndSize() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch, arguments: ["--max-queued-bytes", "4096"])
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe", ["sockets": ["big"], "events": ["back"]])
        try client.call("socket.open", ["socket": "big", "url": .string(server.url)])
        try client.waitConnected("big")
        try client.call("socket.emit", ["socket": "big", "event": "emit-back", "args": [.string(String(repeating: "x", count: 10_000))]])
        try client.call("socket.emit", ["socket": "big", "event": "emit-back", "args": ["small"]])
        let lagged = try client.notification("events.lagged")
        #expect(lagged["method"] == "socket.event" && lagged["dropped"] == 1, "\(lagged)")
        let seq = try #require(lagged["seq"]?.intValue)
        #expect((lagged["bytes"]?.intValue ?? 0) > 10_000)
        let next = try client.notification("socket.event")
        #expect(next["args"] == [["small"]] && next["seq"]?.intValue == seq + 1, "\(next)")
        try await siod.stop()
        server.stop()
    }

    @Test func managerError_whenAnOpenFails() async throws {
        let scratch = Scratch()
        let siod = try await SiodProcess(in: scratch)
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe", ["engine": true])
        // Nothing listens on port 9 (discard): the first attempt fails at once.
        try client.call("socket.open", ["socket": "down", "url": "http://127.0.0.1:9", "reconnection": false])
        let error = try client.notification("manager.error")
        #expect(error["socket"] == "down")
        #expect(error["message"]?.stringValue?.isEmpty == false)
        try await siod.stop()
    }

    /// A logger next to a running program: a second connection sees what the first emits, in
    /// the order written, binary included, with its own counter.
    @Test(arguments: ["websocket", "polling"])
    func outgoing_seenByAnotherConnection_inOrder(transport: String) async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let watcher = try RPCLineClient(path: siod.socket)
        try watcher.call("events.subscribe", ["sockets": ["shared"], "outgoing": true, "events": ["none"]])
        let program = try RPCLineClient(path: siod.socket)
        try program.call("socket.open", ["socket": "shared", "url": .string(server.url), "transports": [.string(transport)]])
        try watcher.waitConnected("shared")
        let count = 40
        for i in 0..<count {
            try program.call("socket.emit", ["socket": "shared", "event": "step", "args": [.number(JSONNumber(i))]])
        }
        try program.call("socket.emit", ["socket": "shared", "event": "echo", "args": [["$binary": "AAEC/w=="]], "ack": true])
        for i in 0..<count {
            let seen = try watcher.notification("socket.outgoing")
            #expect(seen["event"] == "step" && seen["args"] == [.number(JSONNumber(i))], "\(seen)")
            #expect(seen["outSeq"] == .number(JSONNumber(i + 1)))
        }
        let blob = try watcher.notification("socket.outgoing")
        #expect(blob["event"] == "echo" && blob["args"] == [["$binary": "AAEC/w=="]], "\(blob)")
        #expect(blob["ackId"] != nil, "an emit with ack shows its id")
        #expect(watcher.notifications.allSatisfy { $0["method"] != "socket.event" }, "outgoing is not inbound")
        try await siod.stop()
        server.stop()
    }
}
