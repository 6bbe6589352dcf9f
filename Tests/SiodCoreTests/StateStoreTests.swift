import Foundation
import SioJSON
import Testing
@testable import SiodCore

/// The state directory and its file: resolution, round trips, atomic replacement, modes.
@Suite struct StateStoreTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("siod-state-\(UUID().uuidString)").path
        return path
    }

    @Test func directory_followsFlagThenSystemdThenXDGThenHome() {
        #expect(StateDirectory.resolve(flag: "/x", environment: ["STATE_DIRECTORY": "/s"], home: "/h") == "/x")
        #expect(StateDirectory.resolve(flag: nil, environment: ["STATE_DIRECTORY": "/var/lib/siod:/other"], home: "/h") == "/var/lib/siod")
        #expect(StateDirectory.resolve(flag: nil, environment: ["XDG_STATE_HOME": "/xdg"], home: "/h") == "/xdg/siod")
        #expect(StateDirectory.resolve(flag: nil, environment: ["XDG_STATE_HOME": "relative"], home: "/h") == "/h/.local/state/siod")
        #expect(StateDirectory.resolve(flag: nil, environment: [:], home: "/home/u") == "/home/u/.local/state/siod")
    }

    @Test func sessionIDs_are128BitURLSafe_andDistinct() {
        let ids = (0..<1000).map { _ in SessionID.generate() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.utf8.count == 22)
            #expect(SessionID.isValid(id))
        }
        #expect(!SessionID.isValid("short"))
        #expect(!SessionID.isValid("has spaces and is long enough"))
        #expect(SessionID.base64URL([0xfb, 0xff]) == "-_8")
    }

    @Test func missingFile_isAnEmptyState() throws {
        let store = StateStore(directory: try self.temporaryDirectory())
        #expect(try store.load() == DaemonState())
    }

    @Test func saveThenLoad_roundTripsExactly() throws {
        let directory = try self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = StateStore(directory: directory + "/nested")
        let state = DaemonState(sockets: [
            "chat": SocketRecord(
                sessionId: SessionID.generate(),
                open: ["url": "http://127.0.0.1:3000", "lifetime": "persistent", "reconnectionDelay": .number(JSONNumber(unchecked: "1e3"))],
                auth: ["token": "s3cr€t", "n": .number(JSONNumber(unchecked: "12345678901234567890"))],
                recovery: .init(pid: "P1", offset: "O9")
            ),
            "plain": SocketRecord(sessionId: "abcdefghijklmnopqrstuv"),
        ])
        try store.save(state)
        #expect(try store.load() == state)
        let again = state
        try store.save(again)
        #expect(try store.load() == again)
    }

    @Test func fileAndDirectory_areOnlyForTheirOwner() throws {
        let directory = try self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = StateStore(directory: directory)
        try store.save(DaemonState(sockets: ["a": SocketRecord(sessionId: "abcdefghijklmnopqrstuv")]))
        let file = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int
        let folder = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
        #expect(file == 0o600)
        #expect(folder == 0o700)
    }

    @Test func aLeftoverTemporaryFile_neverReplacesTheState() throws {
        let directory = try self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = StateStore(directory: directory)
        let state = DaemonState(sockets: ["a": SocketRecord(sessionId: "abcdefghijklmnopqrstuv")])
        try store.save(state)
        // A crash between writing the temporary file and the rename leaves a torn temporary.
        try Data(#"{"version":1,"sock"#.utf8).write(to: URL(fileURLWithPath: store.path + ".tmp"))
        #expect(try store.load() == state)
        try store.save(state)
        #expect(try store.load() == state)
    }

    @Test func unreadableState_isAClearError() throws {
        let directory = try self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = StateStore(directory: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (content, fragment) in [("{", "not valid JSON"), (#"{"version":9,"sockets":{}}"#, "version"), (#"{"version":1,"sockets":{"a":{}}}"#, "sessionId")] {
            try Data(content.utf8).write(to: URL(fileURLWithPath: store.path))
            #expect {
                try store.load()
            } throws: { error in
                "\(error)".contains(fragment)
            }
        }
    }
}
