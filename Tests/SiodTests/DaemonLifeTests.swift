import Foundation
import SioJSON
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// siod as a process: its socket file, restarts, configuration, logs, siodctl, slow readers.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(3)))
struct DaemonLifeTests {
    @Test func socketFileModeStaleAndLive() async throws {
        let scratch = Scratch()
        let first = try await SiodProcess(in: scratch)
        var info = stat()
        #expect(stat(first.socket, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        // A second siod on a live socket exits with a clear error.
        let second = try await SiodProcess(in: scratch, name: "second", waitReady: false)
        #expect(try await second.waitForExit() != 0)
        #expect(second.log.contains("another server is listening there"))
        // A crashed siod leaves a stale file; the next one replaces it.
        try await first.stop(signal: SIGKILL)
        #expect(FileManager.default.fileExists(atPath: first.socket))
        let third = try await SiodProcess(in: scratch, name: "third")
        #expect(try RPCLineClient(path: third.socket).call("daemon.ping") == "pong")
        #expect(try await third.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: third.socket), "a clean stop removes the socket file")
    }

    /// The listen backlog is at least --max-clients: `ss` shows a listening socket's backlog
    /// as its Send-Q.
    @Test func listenBacklog_isAtLeastMaxClients() async throws {
        let scratch = Scratch()
        let siod = try await SiodProcess(in: scratch, arguments: ["--max-clients", "700"])
        let ss = try await runCommand("/usr/bin/env", ["ss", "-xlnH", "src", siod.socket])
        let fields = ss.out.split(whereSeparator: \.isWhitespace)
        #expect(fields.count > 3 && Int(fields[3]) == 700, "\(ss.out)\(ss.err)")
        try await siod.stop()
    }

    @Test func persistentSocketKeepsItsSessionAcrossRestarts() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        var siod = try await SiodProcess(in: scratch, arguments: ["--log-level", "trace"])
        var client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe")
        try client.call("socket.open", ["socket": "keep", "url": .string(server.url), "lifetime": "persistent", "auth": ["token": "s3cret-token"]])
        try client.call("socket.open", ["socket": "brief", "url": .string(server.url)])
        let first = try client.notification("socket.event") { $0["event"] == "welcome" && $0["socket"] == "keep" }
        let session = try #require(first["args"]?.arrayValue?.first?.objectValue?["auth"]?.objectValue?["sessionId"]?.stringValue)
        let briefSession = try #require(try client.call("socket.status", ["socket": "brief"]).objectValue?["sessionId"]?.stringValue)
        try client.call("socket.setAuth", ["socket": "keep", "auth": ["token": "rotated-token"]])
        #expect(try await siod.stop() == 0)
        let firstLog = siod.log

        // Restarted: the persistent socket is back, connects with the same session ID and the
        // auth set last; the daemon-lifetime socket is gone, but its name keeps its session ID.
        siod = try await SiodProcess(in: scratch, name: "again", arguments: ["--log-level", "trace"])
        client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe")
        let names = try client.call("socket.list").objectValue?["sockets"]?.arrayValue?.compactMap { $0.objectValue?["socket"] }
        #expect(names == ["keep"])
        // It connected at start, before this subscription: reconnect it to see its CONNECT.
        try client.waitConnected("keep")
        try client.reconnect("keep")
        let welcome = try client.notification("socket.event") { $0["event"] == "welcome" }
        let auth = try #require(welcome["args"]?.arrayValue?.first?.objectValue?["auth"]?.objectValue)
        #expect(auth["sessionId"] == .string(session))
        #expect(auth["token"] == "rotated-token")
        let reopened = try client.call("socket.open", ["socket": "brief", "url": .string(server.url)])
        #expect(reopened.objectValue?["sessionId"] == .string(briefSession))

        // socket.setSession stores a session the server assigned.
        let assigned = "server-assigned-0123456789"
        #expect(try client.call("socket.setSession", ["socket": "keep", "sessionId": .string(assigned)]) == ["sessionId": .string(assigned)])
        #expect(try client.errorType("socket.setSession", ["socket": "keep", "sessionId": "short"]) == "invalid_params")
        try client.reconnect("keep")
        let again = try client.notification("socket.event") { $0["event"] == "welcome" && $0["socket"] == "keep" }
        #expect(again["args"]?.arrayValue?.first?.objectValue?["auth"]?.objectValue?["sessionId"] == .string(assigned))

        // Closing forgets a persistent socket.
        try client.call("socket.close", ["socket": "keep"])
        #expect(try await siod.stop() == 0)
        let state = try String(contentsOfFile: siod.stateDirectory + "/state.json", encoding: .utf8)
        #expect(!state.contains("\"open\""))
        var info = stat()
        #expect(stat(siod.stateDirectory + "/state.json", &info) == 0 && info.st_mode & 0o777 == 0o600)

        // No secret reached the logs, even at trace level.
        for log in [firstLog, siod.log] {
            #expect(!log.isEmpty)
            for secret in ["s3cret-token", "rotated-token", session, briefSession, assigned] {
                #expect(!log.contains(secret), "a secret in the log")
            }
        }
        server.stop()
    }

    /// A stop does not wait for the server: a long poll the server holds until its next ping
    /// (25 s here), a WebSocket, an upgraded connection and a subscriber that stays connected
    /// all end within a second of SIGTERM.
    @Test func stopsWithinASecond_withALongPollOutstanding() async throws {
        let scratch = Scratch()
        let server = try await PythonServer(["--ping-interval", "25"])
        let siod = try await SiodProcess(in: scratch, arguments: ["--log-level", "debug"])
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe", ["engine": true])
        for (name, transports) in [("poll", ["polling"]), ("ws", ["websocket"]), ("upgraded", ["polling", "websocket"])] {
            try client.call("socket.open", ["socket": .string(name), "url": .string(server.url), "transports": .array(transports.map { .string($0) })])
            try client.waitConnected(name)
        }
        _ = try client.notification("manager.upgrade")
        // The polling socket's GET is now held by the server until its next ping.
        let started = ContinuousClock.now
        #expect(try await siod.stop() == 0)
        let took = ContinuousClock.now - started
        #expect(took < .seconds(1), "stopped in \(took)\n\(siod.log)")
        server.stop()
    }

    @Test func configurationAndReload() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let config = scratch.path + "/siod.json"
        func write(_ sockets: String) throws {
            try Data("{\"sockets\": {\(sockets)}}".utf8).write(to: URL(fileURLWithPath: config))
        }
        try write(#""a": {"url": "\#(server.url)"}, "b": {"url": "\#(server.url)", "namespace": "/admin", "auth": {"token": "ok"}}"#)
        let siod = try await SiodProcess(in: scratch, config: config)
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe")
        #expect(try client.call("socket.list").objectValue?["sockets"]?.arrayValue?.count == 2)
        for name in ["a", "b"] { try client.waitConnected(name) }
        let aID = try client.call("socket.status", ["socket": "a"]).objectValue?["id"]
        // A configured name belongs to the configuration, even with the same params.
        #expect(try client.errorType("socket.open", ["socket": "a", "url": .string(server.url)]) == "socket_exists")

        // b changes, c is new, a is untouched (and stays connected with the same id).
        try write(#""a": {"url": "\#(server.url)"}, "b": {"url": "\#(server.url)", "namespace": "/admin", "auth": {"token": "ok"}, "timeout": 5000}, "c": {"url": "\#(server.url)"}"#)
        let outcome = try client.call("daemon.reload")
        #expect(outcome == ["opened": ["c"], "reopened": ["b"], "closed": [], "unchanged": ["a"]])
        #expect(try client.call("socket.status", ["socket": "a"]).objectValue?["id"] == aID)
        // The old b said goodbye; the new one connects.
        _ = try client.notification("socket.disconnect") { $0["socket"] == "b" }
        client.forgetNotifications()
        try client.waitConnected("b")

        // SIGHUP does the same: b goes away.
        try write(#""a": {"url": "\#(server.url)"}, "c": {"url": "\#(server.url)"}"#)
        kill(siod.process.processIdentifier, SIGHUP)
        _ = try client.notification("socket.disconnect") { $0["socket"] == "b" }
        #expect(try client.errorType("socket.status", ["socket": "b"]) == "no_such_socket")
        try await siod.stop()

        // A persistent socket of the configuration, removed from it while siod is stopped,
        // does not come back.
        try write(#""p": {"url": "\#(server.url)", "lifetime": "persistent"}"#)
        let withP = try await SiodProcess(in: scratch, name: "with-p", config: config)
        #expect(try RPCLineClient(path: withP.socket).call("socket.list").objectValue?["sockets"]?.arrayValue?.count == 1)
        #expect(try await withP.stop() == 0)
        try write("")
        let withoutP = try await SiodProcess(in: scratch, name: "without-p", config: config)
        #expect(try RPCLineClient(path: withoutP.socket).call("socket.list") == ["sockets": []])
        #expect(try await withoutP.stop() == 0)

        // A bad configuration stops siod at start with a clear error.
        try Data("{\"sockets\": {\"x\": {\"url\": \"http://h\", \"lifetime\": \"forever\"}}}".utf8).write(to: URL(fileURLWithPath: config))
        let bad = try await SiodProcess(in: scratch, name: "bad", config: config, socket: scratch.path + "/bad.sock", waitReady: false)
        #expect(try await bad.waitForExit() == 1)
        #expect(bad.log.contains("sockets.x.lifetime"))
        server.stop()
    }

    @Test func siodctlFromAShell() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let env = ["SIOD_SOCKET": siod.socket]
        let opened = try await runCommand(Built.siodctl, ["open", "chat", server.url, "--options", #"{"transports":["websocket"]}"#], environment: env)
        #expect(opened.status == 0, "\(opened.err)")
        #expect(opened.out.hasPrefix(#"{"socket":"chat""#))
        let watcher = try RPCLineClient(path: siod.socket)
        try watcher.call("events.subscribe")
        try watcher.waitConnected("chat")
        let acked = try await runCommand(Built.siodctl, ["emit", "chat", "echo", #""hi""#, "{\"n\":1}", "--ack"], environment: env)
        #expect(acked.status == 0)
        #expect(acked.out == "[\"hi\",{\"n\":1}]\n")
        let plain = try await runCommand(Built.siodctl, ["emit", "chat", "emit-back", "3"], environment: env)
        #expect(plain.out == "{\"status\":\"sent\"}\n")
        let status = try await runCommand(Built.siodctl, ["--socket", siod.socket, "status", "chat"], environment: [:])
        #expect(status.out.contains(#""connected":true"#))
        let list = try await runCommand(Built.siodctl, ["list"], environment: env)
        #expect(list.out.split(separator: "\n").count == 1)
        let missing = try await runCommand(Built.siodctl, ["status", "ghost"], environment: env)
        #expect(missing.status == 1)
        #expect(missing.err.contains("no_such_socket"))
        let badJSON = try await runCommand(Built.siodctl, ["emit", "chat", "echo", "not json"], environment: env)
        #expect(badJSON.status == 64)
        let unreachable = try await runCommand(Built.siodctl, ["--socket", scratch.path + "/none.sock", "list"])
        #expect(unreachable.status == 2)
        let called = try await runCommand(Built.siodctl, ["call", "daemon.ping"], environment: env)
        #expect(called.out == "\"pong\"\n")
        let closed = try await runCommand(Built.siodctl, ["close", "chat"], environment: env)
        #expect(closed.status == 0)
        try await siod.stop()
        server.stop()
    }

    @Test func aSlowSubscriberNeverSlowsAFastOne() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        // The slow reader reads nothing until the end: past 6000 queued, it loses the oldest.
        let siod = try await SiodProcess(in: scratch, arguments: ["--max-queued-notifications", "6000"])
        let fast = try RPCLineClient(path: siod.socket)
        let slow = try RPCLineClient(path: siod.socket, receiveBuffer: 4096)
        try fast.call("events.subscribe")
        try slow.call("events.subscribe", ["events": ["tick"]])
        try fast.call("socket.open", ["socket": "hose", "url": .string(server.url), "transports": ["websocket"]])
        _ = try fast.notification("socket.connect")
        // Ten bursts of 1,000 ticks, each asked for once the fast reader has read the last: the
        // fast reader is never more than a burst behind, whatever else the machine does, while
        // the slow one, reading nothing, falls 10,000 behind.
        let bursts = 10
        let burst = 1000
        var lost: String?
        var lastSeq = 0
        for _ in 0..<bursts {
            // Sent raw: ticks may come before its response, and every line is read below.
            fast.send(#"{"jsonrpc":"2.0","id":"burst","method":"socket.emit","params":{"socket":"hose","event":"count","args":[\#(burst)]}}"# + "\n")
            var next = 0
            while next < burst {
                // Lines, not parsed: the debug-built JSON parser is slower than siod's fan-out.
                guard let line = try fast.readLine() else { throw HarnessError("siod closed the fast reader") }
                if line.contains(#""method":"events.lagged""#) { lost = line }
                guard line.contains(#""event":"tick""#) else { continue }
                #expect(line.contains(#""args":[{"n":\#(next)}]"#), "\(line)")
                if let seq = line.split(separator: #""seq":"#).last.flatMap({ Int($0.prefix { $0.isNumber }) }) { lastSeq = seq }
                next += 1
            }
        }
        #expect(lost == nil, "the fast reader lost events: \(lost ?? "")")
        // The slow reader learns how many it lost, and gets the newest ones, in order.
        var lagged = 0
        var last = -1
        while last < lastSeq {
            let message = try slow.readMessage()
            if message["method"] == "events.lagged" { lagged += message["params"]?.objectValue?["dropped"]?.intValue ?? 0 }
            if message["method"] == "socket.event" {
                let seq = message["params"]?.objectValue?["seq"]?.intValue ?? -1
                #expect(seq > last)
                last = seq
            }
        }
        #expect(lagged > 0)
        #expect(try slow.call("daemon.ping") == "pong")
        try await siod.stop()
        server.stop()
    }

    /// Connection state recovery across a siod restart, against `Fixtures/csr_server.py` (a
    /// spec server of our own: python-socketio does not recover sessions).
    @Test func persistentSocketRecoversItsSessionAfterARestart_specServer() async throws {
        let scratch = Scratch()
        let server = try await PythonServer(script: "csr_server")
        var siod = try await SiodProcess(in: scratch)
        var client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe")
        try client.call("socket.open", ["socket": "feed", "url": .string(server.url), "transports": ["websocket"], "lifetime": "persistent"])
        try client.waitConnected("feed")
        let firstID = try client.call("socket.status", ["socket": "feed"]).objectValue?["id"]
        try client.call("socket.emit", ["socket": "feed", "event": "tick"])
        _ = try client.notification("socket.event") { $0["event"] == "tick" }
        // While siod is away the server emits three events to the session.
        try client.call("socket.emit", ["socket": "feed", "event": "arm", "args": [3], "ack": true])
        #expect(try await siod.stop() == 0)

        siod = try await SiodProcess(in: scratch, name: "again")
        client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe")
        try client.waitConnected("feed")
        let status = try client.call("socket.status", ["socket": "feed"]).objectValue ?? [:]
        #expect(status["recovered"] == true)
        #expect(status["id"] == firstID, "the same socket id")
        #expect(status["counters"]?.objectValue?["received"] == 3, "the missed events were delivered")
        // The second CONNECT carried the saved pid and offset, and the session ID.
        let connects = try client.call("socket.emit", ["socket": "feed", "event": "connects", "ack": true])
        let payloads = connects.objectValue?["args"]?.arrayValue?.first?.arrayValue ?? []
        #expect(payloads.count == 2)
        let second = payloads.last?.objectValue ?? [:]
        #expect(second["pid"] != nil && second["offset"] != nil)
        #expect(second["sessionId"] == status["sessionId"])
        try await siod.stop()
        server.stop()
    }
}
