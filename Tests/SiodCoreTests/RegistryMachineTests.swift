import NIOCore
import NIOEmbedded
import RPC
import SioJSON
import SioProtocol
import Testing
@testable import SiodCore

/// The registry's bookkeeping as transcripts: each input to ``RegistryMachine`` and what it
/// tells the registry to do, one line per event, with stand-ins for Managers and sockets.
@Suite struct RegistryMachineTests {
    /// A named socket as the machine sees it.
    private struct Entry: RegistryEntry {
        var key: SocketKey
        var request: SocketOpenRequest
        var params: JSON
        var managerID: SocketPlacement.ManagerID
        var heldBy: Int?
        var fromConfig: Bool
    }

    /// Carries out the machine's answers as ``Registry`` does, writing one line for each.
    private struct Harness {
        let loops: [EmbeddedEventLoop]
        var machine: RegistryMachine<Entry, String>
        var lines: [String] = []

        init(saved: DaemonState = DaemonState()) {
            let loops = [EmbeddedEventLoop(), EmbeddedEventLoop()]
            self.loops = loops
            self.machine = RegistryMachine(saved: saved, loops: loops)
        }

        private func loopIndex(_ loop: any EventLoop) -> Int {
            self.loops.firstIndex { ObjectIdentifier($0) == ObjectIdentifier(loop) } ?? -1
        }

        /// Opens `params`; `managerFails` / `socketFails` make that step fail as a bad URL or
        /// namespace would.
        mutating func open(
            _ params: JSON, origin: OpenOrigin = .client(7), owner: UInt32 = SocketKey.daemonOwner, preferring: Int? = nil,
            managerFails: Bool = false, socketFails: Bool = false
        ) {
            var request: SocketOpenRequest
            do { request = try SocketOpenRequest(params: params) } catch {
                self.lines.append("open: \(error.message)")
                return
            }
            request.owner = owner
            let name = request.key.description
            do {
                let decision = try self.machine.open(
                    request, params: params, origin: origin, preferring: preferring.map { self.loops[$0] }
                )
                guard case .open(let plan) = decision else {
                    self.lines.append("open \(name): already open")
                    return
                }
                var line = "open \(name):"
                if let loop = plan.newManagerLoop {
                    guard !managerFails else {
                        self.lines.append("open \(name): manager fails, shut down \(self.machine.openFailed(plan) ?? "nothing")")
                        return
                    }
                    self.machine.managerCreated("M\(plan.managerID.rawValue)", plan: plan)
                    line += " new M\(plan.managerID.rawValue) on loop \(self.loopIndex(loop))"
                } else {
                    line += " joins M\(plan.managerID.rawValue)"
                }
                guard !socketFails else {
                    self.lines.append(line + ", socket fails, shut down \(self.machine.openFailed(plan) ?? "nothing")")
                    return
                }
                let entry = Entry(
                    key: request.key, request: request, params: params, managerID: plan.managerID, heldBy: plan.heldBy,
                    fromConfig: origin.isConfig
                )
                let save = self.machine.opened(entry, plan: plan)
                line += ", session \(plan.record.sessionId.prefix(4)), save \(save)"
                if let connection = plan.heldBy { line += ", held by connection \(connection)" }
                self.lines.append(line)
            } catch {
                self.lines.append("open \(name): \(error.type) (\(error.message))")
            }
        }

        mutating func close(_ name: String) {
            guard let closed = self.machine.close(SocketKey(parsing: name)) else {
                self.lines.append("close \(name): no such socket")
                return
            }
            self.lines.append("close \(name): shut down \(closed.emptied ?? "nothing"), save \(closed.save)")
        }
    }

    private func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    @Test func sockets_shareAManagerByOptions_andTheLastOneOutShutsItDown() {
        var h = Harness()
        h.open(["socket": "a", "url": "http://h:1"], preferring: 1)
        h.open(["socket": "b", "url": "http://h:1", "namespace": "/admin"])
        h.open(["socket": "c", "url": "http://h:1", "namespace": "/admin"])
        h.open(["socket": "d", "url": "http://h:1", "forceNew": true])
        h.close("a")
        h.close("b")
        h.close("b")
        h.open(["socket": "e", "url": "http://h:1"])
        #expect(h.lines == self.lines("""
            open a: new M1 on loop 1, session \(self.prefix(h, "a")), save soon
            open b: joins M1, session \(self.prefix(h, "b")), save soon
            open c: new M2 on loop 0, session \(self.prefix(h, "c")), save soon
            open d: new M3 on loop 0, session \(self.prefix(h, "d")), save soon
            close a: shut down nothing, save none
            close b: shut down M1, save none
            close b: no such socket
            open e: joins M2, session \(self.prefix(h, "e")), save soon
            """))
        #expect(h.machine.sockets(on: SocketPlacement.ManagerID(rawValue: 2)).map(\.key.name) == ["c", "e"])
    }

    private func prefix(_ h: Harness, _ name: String) -> String {
        String(h.machine.saved.sockets[name]?.sessionId.prefix(4) ?? "none")
    }

    @Test func openingAgain_isTheSameSocket_unlessTheOptionsOrTheOriginDiffer() {
        var h = Harness()
        h.open(["socket": "a", "url": "http://h:1"], origin: .config)
        h.open(["socket": "a", "url": "http://h:1"], origin: .config)
        h.open(["socket": "a", "url": "http://h:1"], origin: .client(3))
        h.open(["socket": "b", "url": "http://h:1"])
        h.open(["socket": "b", "url": "http://h:2"])
        #expect(h.lines == self.lines("""
            open a: new M1 on loop 0, session \(self.prefix(h, "a")), save soon
            open a: already open
            open a: socket_exists (A socket named a exists in the configuration file)
            open b: new M2 on loop 1, session \(self.prefix(h, "b")), save soon
            open b: socket_exists (A socket named b exists with other options)
            """))
    }

    @Test func aFailedOpen_freesTheName_andShutsDownAManagerItLeftEmpty() {
        var h = Harness()
        h.open(["socket": "a", "url": "http://h:1"], managerFails: true)
        h.open(["socket": "a", "url": "http://h:1"], socketFails: true)
        h.open(["socket": "a", "url": "http://h:1"])
        h.open(["socket": "b", "url": "http://h:1", "namespace": "/x"], socketFails: true)
        #expect(h.lines == self.lines("""
            open a: manager fails, shut down nothing
            open a: new M2 on loop 0, socket fails, shut down M2
            open a: new M3 on loop 0, session \(self.prefix(h, "a")), save soon
            open b: joins M3, socket fails, shut down nothing
            """))
        #expect(h.machine.managers.count == 1 && h.machine.sockets.keys.map(\.name) == ["a"])
    }

    @Test func persistentSockets_areSavedBeforeTheAnswer_andForgottenOnClose_butTheirSessionStays() {
        var h = Harness()
        let params: JSON = ["socket": "p", "url": "http://h:1", "lifetime": "persistent"]
        h.open(params)
        let session = h.machine.saved.sockets["p"]?.sessionId
        #expect(h.machine.saved.sockets["p"]?.open == params)
        let generation = h.machine.generation
        h.close("p")
        #expect(h.machine.generation == generation + 1)
        #expect(h.machine.saved.sockets["p"] == SocketRecord(sessionId: session ?? ""))
        // Opened again under the same name (not persistent now): same session ID.
        h.open(["socket": "p", "url": "http://h:1"])
        #expect(h.machine.saved.sockets["p"]?.sessionId == session)
        #expect(h.lines == self.lines("""
            open p: new M1 on loop 0, session \(session?.prefix(4) ?? ""), save now
            close p: shut down M1, save now
            open p: new M2 on loop 0, session \(session?.prefix(4) ?? ""), save soon
            """))
    }

    @Test func connectionLifetime_isHeldByTheRPCConnection() {
        var h = Harness()
        h.open(["socket": "mine", "url": "http://h:1", "lifetime": "connection"], origin: .client(4))
        h.open(["socket": "daemon", "url": "http://h:1", "namespace": "/d"], origin: .client(4))
        #expect(h.machine.held(by: 4).map(\.name) == ["mine"])
        #expect(h.machine.held(by: 5).isEmpty)
        #expect(h.lines.first?.hasSuffix("held by connection 4") == true)
    }

    @Test func owners_neverShareAName_aManager_orASession() {
        var h = Harness()
        let other = SocketKey.daemonOwner == 64001 ? 64002 : UInt32(64001)
        h.open(["socket": "chat", "url": "http://h:1"])
        h.open(["socket": "chat", "url": "http://h:1"], owner: other)
        h.open(["socket": "chat2", "url": "http://h:1", "namespace": "/2"], owner: other)
        h.close("~\(other)/chat")
        h.open(["socket": "chat", "url": "http://h:1"], owner: other)
        let mine = self.prefix(h, "chat")
        let theirs = self.prefix(h, "~\(other)/chat")
        #expect(mine != theirs)
        #expect(h.lines == self.lines("""
            open chat: new M1 on loop 0, session \(mine), save soon
            open ~\(other)/chat: new M2 on loop 1, session \(theirs), save soon
            open ~\(other)/chat2: joins M2, session \(self.prefix(h, "~\(other)/chat2")), save soon
            close ~\(other)/chat: shut down nothing, save none
            open ~\(other)/chat: new M3 on loop 0, session \(theirs), save soon
            """))
    }

    @Test func auth_session_andRecovery_changeTheSavedRecord_onlyWhenTheyMust() throws {
        var h = Harness()
        h.open(["socket": "p", "url": "http://h:1", "lifetime": "persistent"])
        h.open(["socket": "d", "url": "http://h:1", "namespace": "/d"])
        let p = try #require(h.machine.sockets[SocketKey(parsing: "p")])
        let d = try #require(h.machine.sockets[SocketKey(parsing: "d")])
        #expect(h.machine.authSet(["token": "t"], of: d) == .none)
        #expect(h.machine.authSet(["token": "t"], of: p) == .now)
        #expect(h.machine.saved.sockets["p"]?.auth == ["token": "t"])
        #expect(h.machine.sessionSet("session-fixed-0001", of: SocketKey(parsing: "d")) == .now)
        #expect(h.machine.saved.sockets["d"]?.sessionId == "session-fixed-0001")
        let recovery = SocketRecord.Recovery(pid: "pid", offset: "42")
        #expect(h.machine.recoveryChanged(recovery, of: SocketKey(parsing: "p")) == .soon)
        #expect(h.machine.recoveryChanged(recovery, of: SocketKey(parsing: "p")) == .none)
        #expect(h.machine.recoveryChanged(nil, of: SocketKey(parsing: "p")) == .none)
        #expect(h.machine.recoveryChanged(recovery, of: SocketKey(parsing: "d")) == .none)
        // A persistent socket opened again takes its saved auth and recovery.
        h.close("p")
        h.open(["socket": "p", "url": "http://h:1", "lifetime": "persistent", "auth": ["token": "given"]])
        #expect(h.machine.saved.sockets["p"]?.auth == nil)
    }

    @Test func reporting_turnsOnEveryManagerOnce() {
        var h = Harness()
        h.open(["socket": "a", "url": "http://h:1"])
        h.open(["socket": "b", "url": "http://h:2"])
        #expect(h.machine.startReporting(engine: true) == ["M1", "M2"])
        #expect(h.machine.startReporting(engine: true).isEmpty)
        #expect(h.machine.startReporting(engine: false) == ["M1", "M2"])
        #expect(h.machine.reportsEnginePackets && h.machine.reportsOutgoing)
    }

    @Test func shutdown_refusesNewSockets_andKeepsTheSessionsOfPersistentOnes() {
        var h = Harness()
        h.open(["socket": "p", "url": "http://h:1", "lifetime": "persistent", "namespace": "/p"])
        h.open(["socket": "d", "url": "http://h:1"])
        h.open(["socket": "e", "url": "http://h:2"])
        let shutdown = h.machine.shutdown()
        #expect(shutdown.persistent.map(\.key.name) == ["p"])
        #expect(shutdown.managers.map(\.manager) == ["M1", "M2"])
        #expect(shutdown.managers.map(\.keeping) == [["/p"], []])
        h.open(["socket": "late", "url": "http://h:1"])
        #expect(h.lines.last == "open late: shutting_down (siod is shutting down)")
    }

    @Test func restore_reopensAClientsPersistentSockets_andForgetsTheFilesOldOnes() {
        let saved = DaemonState(sockets: [
            "client": SocketRecord(sessionId: "s1", open: ["socket": "client", "url": "http://h:1", "lifetime": "persistent"]),
            "gone": { var r = SocketRecord(sessionId: "s2", open: ["socket": "gone", "url": "http://h:1"]); r.fromConfig = true; return r }(),
            "plain": SocketRecord(sessionId: "s3"),
        ])
        var h = Harness(saved: saved)
        let reopen = h.machine.restore()
        #expect(reopen.map(\.key) == [SocketKey(parsing: "client")])
        #expect(h.machine.generation == 1)
        #expect(h.machine.saved.sockets["gone"] == SocketRecord(sessionId: "s2"))
    }
}
