import RPC
import SioJSON
import Testing
@testable import SiodCore

/// The registry's rules on their own: reload plans, and the saved record through open,
/// close and restore.
@Suite struct RegistryRulesTests {
    private func config(_ sockets: [String: JSON]) throws -> ConfigFile {
        var object: JSONObject = [:]
        for name in sockets.keys.sorted() { object[name] = sockets[name] }
        var bytes: [UInt8] = []
        JSON.object(["sockets": .object(object)]).write(to: &bytes)
        return try ConfigFile(parsing: bytes, path: "test.json")
    }

    private let a: JSON = ["url": "http://h:1"]
    private let a2: JSON = ["url": "http://h:1", "auth": ["v": 2]]
    private let b: JSON = ["url": "http://h:2", "lifetime": "persistent"]

    @Test func reload_closesReopensOpens_andLeavesTheRestConnected() throws {
        let old = try self.config(["keep": self.a, "change": self.a, "drop": self.a])
        let new = try self.config(["keep": self.a, "change": self.a2, "add": self.b])
        let open: [String: RegistryRules.OpenSocket] = [
            "keep": .init(fromConfig: true, params: old.params["keep"]!),
            "change": .init(fromConfig: true, params: old.params["change"]!),
            "drop": .init(fromConfig: true, params: old.params["drop"]!),
        ]
        let plan = try RegistryRules.reload(from: old, to: new, open: open)
        #expect(plan == RegistryRules.ReloadPlan(close: ["drop"], reopen: ["change"], open: ["add"], unchanged: ["keep"]))
    }

    @Test func reload_aDeclaredSocketThatIsNotOpen_opens() throws {
        let same = try self.config(["s": self.a])
        let plan = try RegistryRules.reload(from: same, to: same, open: [:])
        #expect(plan == RegistryRules.ReloadPlan(open: ["s"]))
    }

    @Test func reload_refusesANameAClientOpened_andPlansNothing() throws {
        let new = try self.config(["mine": self.a])
        #expect {
            try RegistryRules.reload(from: ConfigFile(), to: new, open: ["mine": .init(fromConfig: false, params: self.a)])
        } throws: { error in
            (error as? RPCError)?.type == "invalid_config"
        }
    }

    @Test func record_throughOpenCloseAndRestore() throws {
        let fresh = SocketRecord(sessionId: "session-0123456789")
        // Persistent from the file: remembered with its params and its origin.
        var record = RegistryRules.recordOnOpen(fresh, params: self.b, persistent: true, fromConfig: true)
        #expect(record.open == self.b && record.fromConfig && record.sessionId == fresh.sessionId)
        // Reopened as a daemon-lifetime socket: nothing to reopen, same session ID.
        record.auth = ["token": "t"]
        #expect(RegistryRules.recordOnOpen(record, params: self.a, persistent: false, fromConfig: false) == fresh)
        // Closed: only the session ID stays.
        #expect(RegistryRules.recordOnClose(record) == fresh)

        // At start: the file's socket it no longer declares is forgotten; a client's persistent
        // socket is reopened; a daemon-lifetime name keeps only its session.
        var saved = DaemonState(sockets: [
            "fromFile": record,
            "client": RegistryRules.recordOnOpen(SocketRecord(sessionId: "client-0123456789"), params: self.b, persistent: true, fromConfig: false),
            "brief": SocketRecord(sessionId: "brief-0123456789"),
        ])
        let (changed, reopen) = RegistryRules.restore(&saved, config: ConfigFile())
        #expect(changed)
        #expect(reopen.map(\.name) == ["client"] && reopen.first?.params == self.b)
        #expect(saved.sockets["fromFile"] == fresh)
        let (again, _) = RegistryRules.restore(&saved, config: ConfigFile())
        #expect(!again, "nothing left to forget")
    }
}
