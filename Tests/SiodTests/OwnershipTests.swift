import Foundation
import SioJSON
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Who may touch which socket: run as root, the clients under other uids and groups
/// (`setpriv`; no user needs to exist), on one siod whose socket their group may reach.
@Suite(.enabled(if: getuid() == 0, "needs root to act as other uids"), .timeLimit(.minutes(2)))
struct OwnershipTests {
    /// Every client is in this group, which siod's socket is open to.
    private static let clients: UInt32 = 64150
    private let alice: UInt32 = 64140
    private let bob: UInt32 = 64141
    private let carol: UInt32 = 64142
    /// A group carol is in, and bob is not.
    private let team: UInt32 = 64160

    /// One call through `siodctl call`, as `uid` with the given supplementary groups.
    private func call(
        _ siod: SiodProcess, as uid: UInt32, groups: [UInt32] = [], _ method: String, _ params: JSON = [:]
    ) async throws -> (result: JSON?, errorType: String?) {
        let run = try await runCommand("/usr/bin/env", self.setpriv(uid, groups) + [
            Built.siodctl, "--socket", siod.socket, "call", method, params.serialized,
        ], within: .seconds(20))
        if run.status == 0 { return (try JSON(parsing: Array(run.out.utf8)), nil) }
        // `siodctl: <message> (<type>)` on stderr.
        let type = run.err.split(separator: "(").last.map { String($0.prefix { $0 != ")" }) }
        #expect(run.status == 1, "siodctl \(method) as \(uid): \(run.err)")
        return (nil, type)
    }

    private func setpriv(_ uid: UInt32, _ groups: [UInt32]) -> [String] {
        let all = ([Self.clients] + groups).map(String.init).joined(separator: ",")
        return ["setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--groups=\(all)"]
    }

    private func siod(_ scratch: Scratch, config: String? = nil) async throws -> SiodProcess {
        chmod(scratch.path, 0o755)
        return try await SiodProcess(in: scratch, arguments: ["--socket-group", String(Self.clients)], config: config)
    }

    private func names(_ list: JSON?) -> [String] {
        list?.objectValue?["sockets"]?.arrayValue?.compactMap { $0.objectValue?["socket"]?.stringValue } ?? []
    }

    @Test func anotherUsersSocket_isNoSocketAtAll_andTwoUsersMayEachHaveAChat() async throws {
        let scratch = Scratch()
        let siod = try await self.siod(scratch)
        let chat: JSON = ["socket": "chat", "url": "http://127.0.0.1:9", "autoConnect": false]
        let opened = try await self.call(siod, as: self.alice, "socket.open", chat)
        let aliceSession = try #require(opened.result?.objectValue?["sessionId"]?.stringValue)
        #expect(opened.result?.objectValue?["socket"] == "chat")

        // Bob sees nothing of it, whatever he tries.
        for method in ["socket.status", "socket.connect", "socket.disconnect", "socket.close"] {
            #expect(try await self.call(siod, as: self.bob, method, ["socket": "chat"]).errorType == "no_such_socket", "\(method)")
        }
        #expect(try await self.call(siod, as: self.bob, "socket.emit", ["socket": "chat", "event": "x"]).errorType == "no_such_socket")
        #expect(try await self.call(siod, as: self.bob, "socket.setSession", ["socket": "chat"]).errorType == "no_such_socket")
        #expect(try await self.call(siod, as: self.bob, "socket.setAuth", ["socket": "chat", "auth": [:]]).errorType == "no_such_socket")
        #expect(try await self.call(siod, as: self.bob, "socket.status", ["socket": .string("~\(self.alice)/chat")]).errorType == "no_such_socket")
        #expect(self.names(try await self.call(siod, as: self.bob, "socket.list").result).isEmpty)
        let info = try await self.call(siod, as: self.bob, "daemon.info").result
        #expect(info?.objectValue?["counts"]?.objectValue?["sockets"] == 0)

        // His own chat is his: another session, another Manager.
        let his = try await self.call(siod, as: self.bob, "socket.open", chat).result?.objectValue
        #expect(his?["socket"] == "chat")
        #expect(his?["sessionId"]?.stringValue != aliceSession)
        #expect(his?["manager"] != opened.result?.objectValue?["manager"])

        // Root sees both, qualified by owner; alice still has hers, with her session.
        let all = self.names(try RPCLineClient(path: siod.socket).call("socket.list"))
        #expect(all == ["~\(self.alice)/chat", "~\(self.bob)/chat"])
        let again = try await self.call(siod, as: self.alice, "socket.status", ["socket": "chat"]).result?.objectValue
        #expect(again?["sessionId"]?.stringValue == aliceSession)
        _ = try await siod.stop()
    }

    @Test func aSharedSocket_isUsableByItsGroup_andInvisibleToOthers() async throws {
        let scratch = Scratch()
        let siod = try await self.siod(scratch)
        let shared = "~\(self.alice)/team"
        _ = try await self.call(siod, as: self.alice, "socket.open", [
            "socket": "team", "url": "http://127.0.0.1:9", "autoConnect": false, "access": ["groups": [.number(JSONNumber(UInt64(self.team)))]],
        ])
        let seen = try await self.call(siod, as: self.carol, groups: [self.team], "socket.status", ["socket": .string(shared)])
        #expect(seen.result?.objectValue?["socket"]?.stringValue == shared)
        #expect(self.names(try await self.call(siod, as: self.carol, groups: [self.team], "socket.list").result) == [shared])
        // By its plain name it is alice's, not carol's.
        #expect(try await self.call(siod, as: self.carol, groups: [self.team], "socket.status", ["socket": "team"]).errorType == "no_such_socket")
        #expect(try await self.call(siod, as: self.bob, "socket.status", ["socket": .string(shared)]).errorType == "no_such_socket")
        _ = try await siod.stop()
    }

    @Test func subscriptions_seeOnlyWhatTheirClientMayUse() async throws {
        let scratch = Scratch()
        let siod = try await self.siod(scratch)
        // Bob subscribes to everything, over a connection of his own; root too.
        let bob = Process()
        bob.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        bob.arguments = self.setpriv(self.bob, []) + ["socat", "-", "UNIX-CONNECT:" + siod.socket]
        let (input, output) = (Pipe(), Pipe())
        bob.standardInput = input
        bob.standardOutput = output
        try bob.run()
        defer { bob.terminate() }
        var lines = chunks(of: output.fileHandleForReading).makeAsyncIterator()
        var text = ""
        /// Reads bob's stream until it holds `wanted`.
        func read(until wanted: String) async throws {
            while !text.contains(wanted) {
                guard let chunk = await lines.next() else { throw CancellationError() }
                text += String(decoding: chunk, as: UTF8.self)
            }
        }
        input.fileHandleForWriting.write(Data(#"{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{}}"#.utf8 + [0x0A]))
        try await read(until: #""id":1"#)
        let root = try RPCLineClient(path: siod.socket)
        _ = try root.call("events.subscribe", [:])

        let refused: JSONObject = ["url": "http://127.0.0.1:9", "reconnection": false]
        var alices = refused
        alices["socket"] = "secret"
        _ = try await self.call(siod, as: self.alice, "socket.open", .object(alices))
        _ = try root.notification("socket.connect_error") { $0["socket"]?.stringValue == "~\(self.alice)/secret" }
        var bobs = refused
        bobs["socket"] = "mine"
        _ = try await self.call(siod, as: self.bob, "socket.open", .object(bobs))
        _ = try root.notification("socket.connect_error") { $0["socket"]?.stringValue == "~\(self.bob)/mine" }
        // Bob's stream: his own socket, by its plain name, and nothing of alice's (her events
        // came first: had they reached him, they would be before his).
        try await read(until: #""method":"socket.connect_error","params":{"subscription":1,"socket":"mine""#)
        #expect(!text.contains("secret"), "\(text)")
        _ = try await siod.stop()
    }

    /// A consumer name belongs to the uid that made it: another may neither resume it nor
    /// commit for it, nor see it listed.
    @Test func aConsumer_belongsToItsUID() async throws {
        let scratch = Scratch()
        let siod = try await self.siod(scratch)
        _ = try await self.call(siod, as: self.alice, "socket.open", ["socket": "feed", "url": "http://127.0.0.1:9", "autoConnect": false])
        #expect(try await self.call(siod, as: self.alice, "events.subscribe", ["consumer": "bot"]).errorType == nil)
        #expect(try await self.call(siod, as: self.bob, "events.subscribe", ["consumer": "bot"]).errorType == "forbidden")
        let commit: JSON = ["consumer": "bot", "socket": "feed", "seq": 0]
        #expect(try await self.call(siod, as: self.bob, "events.commit", commit).errorType == "forbidden")
        #expect(try await self.call(siod, as: self.alice, "events.commit", commit).errorType == nil)
        #expect(try await self.call(siod, as: self.bob, "events.commit", ["consumer": "nobody", "socket": "x", "seq": 0]).errorType == "no_such_consumer")
        let listed = { (uid: UInt32) async throws -> [String] in
            let result = try await self.call(siod, as: uid, "events.consumers").result
            return result?.objectValue?["consumers"]?.arrayValue?.compactMap { $0.objectValue?["consumer"]?.stringValue } ?? []
        }
        #expect(try await listed(self.alice) == ["bot"])
        #expect(try await listed(self.bob) == [])
        _ = try await siod.stop()
    }

    @Test func reload_isForAdmins_andTheConfigurationNamesThem() async throws {
        let scratch = Scratch()
        let config = scratch.path + "/siod.json"
        try #"{"admin": {"groups": [\#(self.team)]}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o644)
        let siod = try await self.siod(scratch, config: config)
        #expect(try await self.call(siod, as: self.bob, "daemon.reload").errorType == "forbidden")
        #expect(try await self.call(siod, as: self.carol, groups: [self.team], "daemon.reload").errorType == nil)
        // An admin sees other users' sockets.
        _ = try await self.call(siod, as: self.bob, "socket.open", ["socket": "b", "url": "http://127.0.0.1:9", "autoConnect": false])
        #expect(self.names(try await self.call(siod, as: self.carol, groups: [self.team], "socket.list").result) == ["~\(self.bob)/b"])
        #expect(try RPCLineClient(path: siod.socket).errorType("daemon.reload") == nil)
        _ = try await siod.stop()
    }
}
