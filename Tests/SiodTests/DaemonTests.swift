import Foundation
import SioJSON
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// siod driven only through its socket, against python-socketio (`Fixtures/sio_server.py`).
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(3)))
struct DaemonTests {
    @Test(arguments: ["websocket", "polling"])
    func openEmitAckAndEvents(transport: String) async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let client = try RPCLineClient(path: siod.socket)

        // The subscribe response comes before any of its notifications.
        let subscribed = try client.call("events.subscribe", ["sockets": ["chat"]])
        let subscription = try #require(subscribed.objectValue?["subscription"])
        let opened = try client.call(
            "socket.open", ["socket": "chat", "url": .string(server.url), "transports": [.string(transport)], "auth": ["token": "t1"]]
        )
        #expect(opened.objectValue?["socket"] == "chat")
        let connect = try client.notification("socket.connect")
        #expect(connect["subscription"] == subscription)
        #expect(connect["socket"] == "chat")
        #expect(connect["recovered"] == false)

        // The server saw the auth payload with the session ID merged in.
        let welcome = try client.notification("socket.event") { $0["event"] == "welcome" }
        let auth = try #require(welcome["args"]?.arrayValue?.first?.objectValue?["auth"]?.objectValue)
        #expect(auth["token"] == "t1")
        let status = try client.call("socket.status", ["socket": "chat"]).objectValue ?? [:]
        #expect(auth["sessionId"] == status["sessionId"])
        #expect(status["sessionId"]?.stringValue?.count == 22)
        #expect(status["connected"] == true)
        #expect(status["transport"] == .string(transport))
        #expect(status["id"] == connect["id"])

        // Acks: every argument of the server's ack; binary as {"$binary":…} both ways.
        let echoed = try client.call("socket.emit", ["socket": "chat", "event": "echo", "args": ["hi", ["a": 1]], "ack": true])
        #expect(echoed == ["args": ["hi", ["a": 1]]])
        let binary = try client.call(
            "socket.emit", ["socket": "chat", "event": "bin", "args": [["$binary": "AQID"]], "ack": true]
        )
        // python-socketio sends a returned list as one argument.
        #expect(binary == ["args": [[["$binary": "CQg="], ["$binary": "AQID"]]]])
        let binback = try client.notification("socket.event") { $0["event"] == "binback" }
        let binArgs = try #require(binback["args"]?.arrayValue?.first?.objectValue)
        #expect(binArgs["buf"] == ["$binary": "AQID"])
        #expect(binArgs["nested"] == [["$binary": "BA=="], ["deep": ["$binary": "BQY="]]])

        // Without ack: the status; server events arrive with growing seq.
        #expect(try client.call("socket.emit", ["socket": "chat", "event": "emit-back", "args": [1, "two"]]) == ["status": "sent"])
        let back = try client.notification("socket.event") { $0["event"] == "back" }
        #expect(back["args"] == [[1, "two"]])
        #expect((back["seq"]?.intValue ?? 0) > (welcome["seq"]?.intValue ?? 0))

        // A server emit asking for an ack carries ackId; socket.ack answers it.
        try client.call("socket.emit", ["socket": "chat", "event": "ask", "args": ["why?"]])
        let question = try client.notification("socket.event") { $0["event"] == "question" }
        #expect(question["args"] == ["why?"])
        let ackId = try #require(question["ackId"])
        #expect(try client.call("socket.ack", ["socket": "chat", "ackId": ackId, "args": ["because"]]) == [:])
        let answer = try client.notification("socket.event") { $0["event"] == "answer" }
        #expect(answer["args"] == ["because"])

        // The server disconnects us: no reconnection, the name stays.
        try client.call("socket.emit", ["socket": "chat", "event": "kick"])
        let disconnect = try client.notification("socket.disconnect")
        #expect(disconnect["reason"] == "io server disconnect")
        #expect(disconnect["active"] == false)
        let list = try client.call("socket.list").objectValue?["sockets"]?.arrayValue ?? []
        #expect(list.count == 1)
        #expect(list.first?.objectValue?["connected"] == false)
        #expect(list.first?.objectValue?["id"] == .null)

        // socket.connect brings it back; socket.disconnect is `io client disconnect`.
        try client.call("socket.connect", ["socket": "chat"])
        _ = try client.notification("socket.connect")
        try client.call("socket.disconnect", ["socket": "chat"])
        #expect(try client.notification("socket.disconnect")["reason"] == "io client disconnect")
        try client.call("socket.close", ["socket": "chat"])
        #expect(try client.errorType("socket.status", ["socket": "chat"]) == "no_such_socket")
        try await siod.stop()
        server.stop()
    }

    @Test func everyErrorCodeHasItsType() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let config = scratch.path + "/siod.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: config))
        let siod = try await SiodProcess(in: scratch, config: config)
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe")
        try client.call("socket.open", ["socket": "chat", "url": .string(server.url)])
        _ = try client.notification("socket.connect")

        func check(_ method: String, _ params: JSON?, code: Int, type: String) throws {
            let response = try client.request(method, params)
            let error = try #require(response["error"]?.objectValue, "\(method) must fail")
            #expect(error["code"] == .number(JSONNumber(code)), "\(method)")
            #expect(error["data"]?.objectValue?["type"] == .string(type), "\(method)")
        }
        try check("nope.nope", nil, code: -32601, type: "method_not_found")
        try check("socket.emit", ["socket": "chat"], code: -32602, type: "invalid_params")
        try check("socket.emit", ["socket": "chat", "event": 3], code: -32602, type: "invalid_params")
        try check("socket.open", ["socket": "x", "url": "ftp://a"], code: -32602, type: "invalid_params")
        try check("socket.status", ["socket": "ghost"], code: -32001, type: "no_such_socket")
        try check("socket.open", ["socket": "chat", "url": .string(server.url), "namespace": "/other"], code: -32002, type: "socket_exists")
        try check("socket.emit", ["socket": "chat", "event": "disconnect"], code: -32006, type: "reserved_event")
        try check("socket.emit", ["socket": "chat", "event": "nobody-acks", "ack": true, "timeout": 200], code: -32004, type: "ack_timeout")
        try check("events.unsubscribe", ["subscription": 999], code: -32008, type: "no_such_subscription")
        // Another connection's subscription is not this one's to remove.
        let stranger = try RPCLineClient(path: siod.socket)
        let theirs = try stranger.call("events.subscribe").objectValue?["subscription"] ?? .null
        try check("events.unsubscribe", ["subscription": theirs], code: -32008, type: "no_such_subscription")
        #expect(try stranger.call("events.unsubscribe", ["subscription": theirs]) == [:])
        #expect(try stranger.call("daemon.info").objectValue?["counts"]?.objectValue?["subscriptions"] == 1)
        // Reopening with the same options returns the status instead.
        #expect(try client.call("socket.open", ["socket": "chat", "url": .string(server.url)]).objectValue?["socket"] == "chat")

        // An ack pending when the socket drops: `disconnected`, never a hang.
        try client.call("socket.open", ["socket": "slow", "url": .string(server.url), "reconnection": false])
        _ = try client.notification("socket.connect") { $0["socket"] == "slow" }
        // (`kick` makes the server disconnect us instead of answering.)
        let pending = try client.request("socket.emit", ["socket": "slow", "event": "kick", "ack": true])
        #expect(pending["error"]?.objectValue?["data"]?.objectValue?["type"] == "disconnected")
        #expect(pending["error"]?.objectValue?["code"] == -32005)
        // Answering a server ack needs a connection.
        try check("socket.ack", ["socket": "slow", "ackId": 1, "args": []], code: -32003, type: "not_connected")

        // The state directory becomes unwritable: saving fails with state_error. siod's
        // database thread may be writing in it meanwhile: the removal is tried again (bounded).
        func yank(_ path: String) throws {
            for attempt in 1...50 {
                do { return try FileManager.default.removeItem(atPath: path) } catch { if attempt == 50 { throw error } }
            }
        }
        try yank(siod.stateDirectory)
        try Data().write(to: URL(fileURLWithPath: siod.stateDirectory))
        try check("socket.setSession", ["socket": "chat"], code: -32010, type: "state_error")
        try yank(siod.stateDirectory)

        // A bad configuration is refused and the running one stays.
        try Data("{\"sockets\": {\"a\": {\"url\": 5}}}".utf8).write(to: URL(fileURLWithPath: config))
        try check("daemon.reload", nil, code: -32009, type: "invalid_config")
        #expect(try client.call("daemon.ping") == "pong")

        // Framing errors leave the connection usable.
        client.send("{nope\n")
        let parse = try client.readMessage()
        #expect(parse["id"] == .null)
        #expect(parse["error"]?.objectValue?["code"] == -32700)
        client.send(#"{"jsonrpc":"2.0","id":7,"method":5}"# + "\r\n")
        let invalid = try client.readMessage()
        #expect(invalid["id"] == 7)
        #expect(invalid["error"]?.objectValue?["code"] == -32600)
        #expect(try client.call("daemon.ping") == "pong")

        // Over the per-client limit of requests in flight: overloaded.
        let limited = try await SiodProcess(in: scratch, name: "limited", arguments: ["--max-requests-per-client", "1"], socket: scratch.path + "/l.sock", stateDirectory: scratch.path + "/l-state")
        let other = try RPCLineClient(path: limited.socket)
        try other.call("socket.open", ["socket": "c", "url": .string(server.url)])
        other.send(#"{"jsonrpc":"2.0","id":1,"method":"socket.emit","params":{"socket":"c","event":"nobody-acks","ack":true,"timeout":1000}}"# + "\n")
        other.send(#"{"jsonrpc":"2.0","id":2,"method":"daemon.ping"}"# + "\n")
        let refused = try other.readMessage()
        #expect(refused["id"] == 2)
        #expect(refused["error"]?.objectValue?["data"]?.objectValue?["type"] == "overloaded")
        try await limited.stop()
        try await siod.stop()
        server.stop()
    }

    @Test func socketsShareAManagerByTheMultiplexingRule() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe")
        let main = try client.call("socket.open", ["socket": "main", "url": .string(server.url)])
        let admin = try client.call("socket.open", ["socket": "admin", "url": .string(server.url), "namespace": "/admin", "auth": ["token": "ok"]])
        let twin = try client.call("socket.open", ["socket": "twin", "url": .string(server.url)])
        let forced = try client.call("socket.open", ["socket": "forced", "url": .string(server.url), "namespace": "/admin", "forceNew": true, "auth": ["token": "ok"]])
        let other = try client.call("socket.open", ["socket": "other", "url": .string(server.url), "transports": ["websocket"]])
        func manager(_ status: JSON) -> JSON? { status.objectValue?["manager"] }
        #expect(manager(main) == manager(admin))
        #expect(manager(twin) != manager(main), "the namespace / is taken on the first Manager")
        #expect(manager(forced) != manager(main) && manager(forced) != manager(twin))
        #expect(manager(other) != manager(main), "other options, other Manager")
        for name in ["main", "admin", "twin", "forced", "other"] {
            _ = try client.notification("socket.connect") { $0["socket"] == .string(name) }
        }
        // The server sees one Engine.IO session for main and admin.
        let mainEngine = try client.call("socket.emit", ["socket": "main", "event": "engine-sid", "ack": true])
        let adminEngine = try client.call("socket.emit", ["socket": "admin", "event": "engine-sid", "ack": true])
        #expect(mainEngine == adminEngine)
        // A refused CONNECT: connect_error with the server's data, inactive.
        try client.call("socket.open", ["socket": "intruder", "url": .string(server.url), "namespace": "/admin", "forceNew": true])
        let refused = try client.notification("socket.connect_error") { $0["socket"] == "intruder" }
        #expect(refused["message"] == "not authorized")
        #expect(refused["data"] == ["code": 42])
        #expect(refused["active"] == false)
        // Closing leaves the namespace taken on its Manager, as `io()` does (an event the server
        // sent the closed socket, still on its way, names only the namespace): a new socket
        // for it gets another Manager.
        try client.call("socket.close", ["socket": "admin"])
        let again = try client.call("socket.open", ["socket": "admin2", "url": .string(server.url), "namespace": "/admin", "auth": ["token": "ok"]])
        #expect(manager(again) != manager(main))
        _ = try client.notification("socket.connect") { $0["socket"] == "admin2" }
        #expect(try client.call("socket.emit", ["socket": "admin2", "event": "echo", "args": [1], "ack": true]) == ["args": [1]])
        try await siod.stop()
        server.stop()
    }

    @Test func connectionLifetimeAndHalfClose() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let watcher = try RPCLineClient(path: siod.socket)
        try watcher.call("events.subscribe")
        do {
            let owner = try RPCLineClient(path: siod.socket)
            try owner.call("socket.open", ["socket": "temp", "url": .string(server.url), "lifetime": "connection"])
            _ = try watcher.notification("socket.connect") { $0["socket"] == "temp" }
        }
        // The owner is gone: its socket disconnects and is forgotten.
        #expect(try watcher.notification("socket.disconnect") { $0["socket"] == "temp" }["reason"] == "io client disconnect")
        #expect(try watcher.errorType("socket.status", ["socket": "temp"]) == "no_such_socket")

        // socat at end of input: every response comes, and a subscriber keeps receiving.
        try watcher.call("socket.open", ["socket": "chat", "url": .string(server.url)])
        _ = try watcher.notification("socket.connect") { $0["socket"] == "chat" }
        let input = """
        {"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{"sockets":["chat"]}}
        {"jsonrpc":"2.0","id":2,"method":"socket.emit","params":{"socket":"chat","event":"echo","args":["x"],"ack":true}}
        {"jsonrpc":"2.0","id":3,"method":"socket.emit","params":{"socket":"chat","event":"emit-back","args":["late"]}}

        """
        let halfClosed = try RPCLineClient(path: siod.socket)
        halfClosed.send(input)
        halfClosed.shutdownWrite()
        var ids: Set<Int> = []
        var sawLate = false
        while !(ids == [1, 2, 3] && sawLate) {
            let message = try halfClosed.readMessage()
            if let id = message["id"]?.intValue { ids.insert(id) }
            if message["method"] == "socket.event", message["params"]?.objectValue?["event"] == "back" { sawLate = true }
        }
        // And still later events, while subscribed.
        try watcher.call("socket.emit", ["socket": "chat", "event": "emit-back", "args": ["later"]])
        let later = try halfClosed.notification("socket.event") { $0["args"] == [["later"]] }
        #expect(later["socket"] == "chat")

        // Through socat itself.
        let socat = try await runCommand("/usr/bin/env", ["socat", "-t", "2", "-", "UNIX-CONNECT:\(siod.socket)"], stdin: """
        {"jsonrpc":"2.0","id":"a","method":"daemon.ping"}
        [{"jsonrpc":"2.0","id":"b","method":"socket.status","params":{"socket":"chat"}},{"jsonrpc":"2.0","method":"daemon.ping"}]

        """)
        #expect(socat.status == 0)
        #expect(socat.out.contains(#"{"jsonrpc":"2.0","id":"a","result":"pong"}"#))
        #expect(socat.out.contains(#"[{"jsonrpc":"2.0","id":"b","result":{"socket":"chat""#))
        try await siod.stop()
        server.stop()
    }

    @Test func managerNotificationsReachEveryNamedSocketOnIt() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe", ["engine": true])
        // Upgrade from polling: manager.upgrade for engine subscribers.
        try client.call("socket.open", [
            "socket": "one", "url": .string(server.url), "reconnectionDelay": 100, "reconnectionDelayMax": 200,
        ])
        try client.call("socket.open", [
            "socket": "two", "url": .string(server.url), "namespace": "/admin", "auth": ["token": "ok"],
            "reconnectionDelay": 100, "reconnectionDelayMax": 200,
        ])
        let upgrade = try client.notification("manager.upgrade")
        #expect(upgrade["transport"] == "websocket")
        // The Engine.IO packets both ways, as socket.io.engine's packet/packetCreate.
        let handshake = try client.notification("engine.packet") { $0["type"] == "open" && $0["socket"] == "one" }
        #expect(handshake["data"]?.stringValue?.contains("\"sid\"") == true)
        _ = try client.notification("engine.packetCreate") { $0["type"] == "ping" && $0["data"] == "probe" }
        _ = try client.notification("engine.packet") { $0["type"] == "pong" && $0["data"] == "probe" }
        _ = try client.notification("engine.packetCreate") { $0["type"] == "upgrade" }
        let connect = try client.notification("engine.packetCreate") { $0["type"] == "message" }
        #expect(connect["data"]?.stringValue?.hasPrefix("0") == true, "the first message is a CONNECT")
        #expect(connect["data"]?.stringValue?.contains("sessionId") == false, "its auth payload is not shown")
        try client.waitConnected("one")
        try client.waitConnected("two")

        // The server dies and comes back: each socket hears the Manager's reconnection.
        try await server.restart()
        for name in ["one", "two"] {
            let disconnect = try client.notification("socket.disconnect") { $0["socket"] == .string(name) }
            #expect(["transport close", "transport error"].contains(disconnect["reason"]?.stringValue ?? ""))
            #expect(disconnect["active"] == true)
            #expect(try client.notification("manager.reconnect_attempt") { $0["socket"] == .string(name) }["attempt"] == 1)
            let reconnect = try client.notification("manager.reconnect") { $0["socket"] == .string(name) }
            #expect((reconnect["attempt"]?.intValue ?? 0) >= 1)
            _ = try client.notification("socket.connect") { $0["socket"] == .string(name) }
        }

        // Without a server and with few attempts: reconnect_error each time, then reconnect_failed.
        try client.call("socket.open", [
            "socket": "lost", "url": "http://127.0.0.1:9", "reconnectionAttempts": 2, "reconnectionDelay": 50,
            "reconnectionDelayMax": 50, "transports": ["websocket"],
        ])
        let connectError = try client.notification("socket.connect_error") { $0["socket"] == "lost" }
        #expect(connectError["active"] == true)
        #expect(try client.notification("manager.reconnect_error") { $0["socket"] == "lost" }["attempt"] == 1)
        #expect(try client.notification("manager.reconnect_failed") { $0["socket"] == "lost" }["attempt"] == 2)
        try await siod.stop()
        server.stop()
    }
}
