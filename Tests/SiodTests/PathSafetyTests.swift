import Foundation
import SioJSON
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The default socket directory is the user's alone, or siod and siodctl refuse it: run as
/// root, with the clients under other uids (`setpriv`; no user needs to exist).
@Suite(.enabled(if: getuid() == 0, "needs root to act as other uids"), .timeLimit(.minutes(1)))
struct PathSafetyTests {
    /// `command` as `uid`, without `XDG_RUNTIME_DIR` or `SIOD_SOCKET` (so `/tmp/siod-<uid>`).
    private func run(as uid: UInt32, _ command: [String], within bound: Duration = .seconds(20)) async throws -> CommandResult {
        try await runCommand("/usr/bin/env", [
            "-u", "XDG_RUNTIME_DIR", "-u", "SIOD_SOCKET", "setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups",
        ] + command, within: bound)
    }

    private func directory(_ path: String, owner: UInt32, mode: mode_t) throws {
        try? FileManager.default.removeItem(atPath: path)
        #expect(mkdir(path, mode) == 0 && chmod(path, mode) == 0 && chown(path, owner, owner) == 0)
    }

    @Test func aDirectoryAnotherUserMadeFirst_isRefusedBySiodAndSiodctl() async throws {
        let (victim, attacker): (UInt32, UInt32) = (64123, 64124)
        let socketDirectory = "/tmp/siod-\(victim)"
        let state = "/tmp/siod-t-state-\(victim)"
        try self.directory(socketDirectory, owner: attacker, mode: 0o777)
        try self.directory(state, owner: victim, mode: 0o700)
        defer {
            try? FileManager.default.removeItem(atPath: socketDirectory)
            try? FileManager.default.removeItem(atPath: state)
        }
        let siod = try await self.run(as: victim, [Built.siod, "--state-dir", state, "--config", "/dev/null"])
        #expect(siod.status == 1)
        #expect(siod.err.contains("\(socketDirectory) is owned by uid \(attacker), not by you (uid \(victim))"), "\(siod.err)")
        let siodctl = try await self.run(as: victim, [Built.siodctl, "list"])
        #expect(siodctl.status == 2)
        #expect(siodctl.err.contains("refusing \(socketDirectory)/siod.sock"), "\(siodctl.err)")

        // The user's own directory, open to others, is refused too; fixed, it is used.
        try self.directory(socketDirectory, owner: victim, mode: 0o777)
        let open = try await self.run(as: victim, [Built.siodctl, "list"])
        #expect(open.status == 2 && open.err.contains("writable by others (mode 777)"), "\(open.err)")
    }

    /// siod reads TLS files with its own rights: a path is refused from another user, who
    /// passes the PEM contents instead.
    @Test func tlsPaths_onlyFromRootOrSiod_contentsFromAnyone() async throws {
        let uid: UInt32 = 64128
        let scratch = Scratch()
        let siod = try await SiodProcess(in: scratch, arguments: ["--socket-group", String(uid)])
        let ca = scratch.path + "/ca.pem"
        let key = scratch.path + "/ca-key.pem"
        let made = try await runCommand("/usr/bin/env", [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", ca, "-days", "1", "-subj", "/CN=siod-test",
        ])
        #expect(made.status == 0, "\(made.err)")
        func open(_ name: String, ca: String) async throws -> CommandResult {
            var params: JSONObject = ["socket": .string(name), "url": "https://127.0.0.1:9", "autoConnect": false]
            params["tls"] = ["ca": .string(ca)]
            var bytes: [UInt8] = []
            JSON.object(params).write(to: &bytes)
            return try await self.run(as: uid, [Built.siodctl, "--socket", siod.socket, "call", "socket.open", String(decoding: bytes, as: UTF8.self)])
        }
        let byPath = try await open("by-path", ca: ca)
        #expect(byPath.status == 1 && byPath.err.contains("forbidden"), "\(byPath.out)\(byPath.err)")
        let contents = try String(contentsOfFile: ca, encoding: .utf8)
        let byContents = try await open("by-contents", ca: contents)
        #expect(byContents.status == 0, "\(byContents.err)")
        // Root (and siod's own user) may still name a file.
        let client = try RPCLineClient(path: siod.socket)
        #expect(try client.errorType("socket.open", ["socket": "root-path", "url": "https://127.0.0.1:9", "autoConnect": false, "tls": ["ca": .string(ca)]]) == nil)
        try await siod.stop()
    }

    @Test func aFreshDirectory_isMade0700_andTheStateDirectoryIsClosedToOthers() async throws {
        let uid: UInt32 = 64125
        let socketDirectory = "/tmp/siod-\(uid)"
        let state = "/tmp/siod-t-state-\(uid)"
        try? FileManager.default.removeItem(atPath: socketDirectory)
        try self.directory(state, owner: uid, mode: 0o777)
        defer {
            try? FileManager.default.removeItem(atPath: socketDirectory)
            try? FileManager.default.removeItem(atPath: state)
        }
        // siod runs in the background as the user; siodctl, as the user, reaches it.
        let siod = Process()
        siod.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        siod.arguments = ["-u", "XDG_RUNTIME_DIR", "-u", "SIOD_SOCKET", "setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups",
                          Built.siod, "--state-dir", state, "--config", "/dev/null"]
        siod.standardError = FileHandle.nullDevice
        try siod.run()
        defer { siod.terminate() }
        try waitForFile(socketDirectory, within: .seconds(20))
        try waitForFile(socketDirectory + "/siod.sock", within: .seconds(20))
        var info = stat()
        #expect(stat(socketDirectory, &info) == 0 && info.st_mode & 0o777 == 0o700 && info.st_uid == uid)
        let list = try await self.run(as: uid, [Built.siodctl, "list"])
        #expect(list.status == 0, "\(list.err)")
        #expect(stat(state, &info) == 0 && info.st_mode & 0o777 == 0o700, "the state directory was 0777; siod owns it and closed it")
        // Another user, owning the state directory, is refused.
        let other = try await self.run(as: uid + 1, [Built.siod, "--socket", "/tmp/siod-t-\(uid + 1).sock", "--state-dir", state, "--config", "/dev/null"])
        #expect(other.status == 1 && other.err.contains("is owned by uid \(uid), not by siod (uid \(uid + 1))"), "\(other.err)")
    }
}
