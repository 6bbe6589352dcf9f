import Foundation
import SioJSON
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// siod under systemd's protocols, without systemd as PID 1 (sd_notify(3), sd_listen_fds(3)).
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct SystemdServiceTests {
    @Test func notifyReadyStatusWatchdogAndStopping() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let notify = try NotifySocket(path: scratch.path + "/notify.sock")
        let siod = try await SiodProcess(
            in: scratch, waitReady: false,
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "600000"]
        )
        // READY=1 only once the socket answers: a ping right after it must succeed.
        _ = try notify.receive { $0 == "READY=1" }
        let client = try RPCLineClient(path: siod.socket)
        #expect(try client.call("daemon.ping") == "pong")
        _ = try notify.receive { $0 == "STATUS=0/0 sockets connected" }

        // STATUS= follows the sockets.
        try client.call("socket.open", ["socket": "chat", "url": .string(server.url)])
        _ = try notify.receive { $0 == "STATUS=1/1 sockets connected" }

        // WATCHDOG=1 every 300 ms (half of WATCHDOG_USEC): several within a second and a half.
        let start = ContinuousClock.now
        var pings = 0
        while pings < 4 {
            _ = try notify.receive { $0 == "WATCHDOG=1" }
            pings += 1
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed > .milliseconds(600) && elapsed < .milliseconds(2500), "\(elapsed) for 4 pings at 300 ms")

        // daemon.reload: RELOADING=1 with MONOTONIC_USEC, then READY=1.
        try client.call("daemon.reload")
        _ = try notify.receive { $0 == "RELOADING=1" }
        let monotonic = try notify.receive { $0.hasPrefix("MONOTONIC_USEC=") || $0 == "READY=1" }
        #expect(monotonic.line.hasPrefix("MONOTONIC_USEC="), "RELOADING=1 comes with MONOTONIC_USEC=")
        _ = try notify.receive { $0 == "READY=1" }

        // SIGTERM: STOPPING=1 and a clean exit.
        kill(siod.process.processIdentifier, SIGTERM)
        _ = try notify.receive { $0 == "STOPPING=1" }
        #expect(try await siod.waitForExit() == 0)
        server.stop()
    }

    @Test func aFatalStartErrorReportsErrno() async throws {
        let scratch = Scratch()
        let notify = try NotifySocket(path: scratch.path + "/notify.sock")
        let config = scratch.path + "/bad.json"
        try Data("{\"sockets\": 3}".utf8).write(to: URL(fileURLWithPath: config))
        let siod = try await SiodProcess(
            in: scratch, config: config, waitReady: false, environment: ["NOTIFY_SOCKET": notify.path]
        )
        let errno = try notify.receive { $0.hasPrefix("ERRNO=") }
        #expect(!errno.before.contains("READY=1"))
        #expect(try await siod.waitForExit() == 1)
    }

    @Test func socketActivationServesThePassedSocketAndLeavesItsFile() async throws {
        let scratch = Scratch()
        let path = scratch.path + "/activated.sock"
        // systemd-socket-activate listens first and starts siod on the first connection, which
        // waits in the backlog meanwhile: the call below is answered once siod runs.
        let siod = try await SiodProcess(
            in: scratch, socket: path, waitReady: false,
            launcher: ["/usr/bin/env", "systemd-socket-activate", "-l", path, "--fdname=rpc"]
        )
        let client = try RPCLineClient.connect(path: path, within: .seconds(10))
        #expect(try client.call("daemon.info").objectValue?["socket"] == .string(path))
        #expect(try await siod.stop() == 0)
        #expect(FileManager.default.fileExists(atPath: path), "a passed socket's file is never unlinked")
    }

    @Test func makeInstallPutsEverythingInPlace() async throws {
        let scratch = Scratch()
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let destination = scratch.path + "/dest"
        // The debug build stands in for the release one (CI builds debug only).
        let make = try await runCommand("/usr/bin/env", [
            "make", "-s", "-C", repository, "install", "DESTDIR=\(destination)", "PREFIX=/usr", "BUILDDIR=\(Built.directory)",
        ])
        #expect(make.status == 0, "\(make.out)\(make.err)")
        let files = FileManager.default
        #expect(files.isExecutableFile(atPath: destination + "/usr/bin/siod"))
        #expect(files.isExecutableFile(atPath: destination + "/usr/bin/siodctl"))
        let service = try String(contentsOfFile: destination + "/usr/lib/systemd/system/siod.service", encoding: .utf8)
        #expect(service.contains("ExecStart=/usr/bin/siod\n"))
        #expect(!service.contains("@BINDIR@") && !service.contains("@DOCDIR@"), "every placeholder filled")
        #expect(files.fileExists(atPath: destination + "/usr/lib/systemd/system/siod.socket"))
        #expect(files.fileExists(atPath: destination + "/usr/lib/sysusers.d/siod.conf"))
        #expect(files.fileExists(atPath: destination + "/usr/share/doc/siod/rpc.md"))
        #expect(files.isExecutableFile(atPath: destination + "/usr/share/doc/siod/examples/answer-bot.sh"))

        // Another prefix after the first: its units name its own paths.
        let again = try await runCommand("/usr/bin/env", [
            "make", "-s", "-C", repository, "install", "DESTDIR=\(destination)", "PREFIX=/usr/local", "BUILDDIR=\(Built.directory)",
        ])
        #expect(again.status == 0, "\(again.out)\(again.err)")
        let local = try String(contentsOfFile: destination + "/usr/local/lib/systemd/system/siod.service", encoding: .utf8)
        #expect(local.contains("ExecStart=/usr/local/bin/siod\n"), "\(local)")
    }

    @Test func unitsVerifyAndAreHardened() async throws {
        let scratch = Scratch()
        let units = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd").path
        // As `make install` fills them in, pointing at the built binary.
        for unit in ["siod.service", "siod.socket"] {
            let text = try String(contentsOfFile: units + "/" + unit, encoding: .utf8)
                .replacingOccurrences(of: "@BINDIR@", with: Built.directory)
                .replacingOccurrences(of: "@DOCDIR@", with: "/usr/share/doc/siod")
            try Data(text.utf8).write(to: URL(fileURLWithPath: scratch.path + "/" + unit))
        }
        let verify = try await runCommand("/usr/bin/env", ["systemd-analyze", "verify", "--man=no", scratch.path + "/siod.socket", scratch.path + "/siod.service"])
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
        #expect(!verify.err.contains(scratch.path), "no warning about the units: \(verify.err)")
        let security = try await runCommand("/usr/bin/env", ["systemd-analyze", "security", "--offline=yes", "--threshold=20", scratch.path + "/siod.service"])
        #expect(security.status == 0, "\(security.out)")
        #expect(security.out.contains("Overall exposure level for siod.service: 1."), "exposure 2.0 or better")
        // In a user namespace every other uid reads as 65534 through SO_PEERCRED: ownership
        // (OwnershipTests) needs the clients' real uids and groups.
        let service = try String(contentsOfFile: units + "/siod.service", encoding: .utf8)
        #expect(!service.split(separator: "\n").contains { $0.hasPrefix("PrivateUsers=") && !$0.hasSuffix("=no") })
    }

    /// Records reach a standalone systemd-journald as structured entries, with siod's
    /// upper-case fields and no secret (systemd.io Native Journal Protocol; sd_journal_print(3)).
    /// siod's stderr is a file here; `JOURNAL_STREAM` names it, as systemd names a service's
    /// journal stream (systemd.exec(5)).
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journald")))
    func journaldGetsStructuredEntriesWithoutSecrets() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        var journald: Process?
        // A journald already running (a real system) is used; else a standalone one is started
        // (a stopped one may have left its socket file behind, so the process is what counts).
        if try await runCommand("/usr/bin/env", ["pgrep", "-x", "systemd-journal"]).status != 0 {
            try? FileManager.default.removeItem(atPath: "/run/systemd/journal/socket")
            // journald speaks sd_notify too: its READY=1 says its sockets accept.
            let ready = try NotifySocket(path: scratch.path + "/journald.notify")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/lib/systemd/systemd-journald")
            process.environment = ["NOTIFY_SOCKET": ready.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            journald = process
            _ = try ready.receive { $0 == "READY=1" }
        }
        defer { if let journald { kill(journald.processIdentifier, SIGTERM) } }

        let siod = try await SiodProcess(in: scratch, arguments: ["--log-level", "trace"], journalStream: true)
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe")
        try client.call("socket.open", [
            "socket": "journaled", "url": .string(server.url + "/?token=query-secret"), "auth": ["token": "auth-secret"],
        ])
        try client.waitConnected("journaled")
        let session = try client.call("socket.status", ["socket": "journaled"]).objectValue?["sessionId"]?.stringValue ?? "?"
        #expect(try await siod.stop() == 0)
        #expect(siod.log.isEmpty, "under journald nothing goes to stderr")

        let pid = siod.process.processIdentifier
        // journald writes asynchronously: --sync returns once everything it received is on disk.
        #expect(try await runCommand("/usr/bin/env", ["journalctl", "--sync"]).status == 0)
        let entries = try await runCommand("/usr/bin/env", ["journalctl", "--no-pager", "-o", "json", "_PID=\(pid)"]).out
        let opened = try #require(entries.split(separator: "\n").first { $0.contains("\"socket opened\"") })
        let fields = try #require(try JSON(parsing: Array(opened.utf8)).objectValue)
        #expect(fields["SYSLOG_IDENTIFIER"] == "siod")
        #expect(fields["SIOD_SOCKET"] == "journaled")
        #expect(fields["SIOD_NAMESPACE"] == "/")
        #expect(fields["SIOD_URL"] == .string(server.url), "logged without its query")
        #expect(fields["PRIORITY"] == "6")
        #expect(fields["CODE_FILE"] != nil && fields["CODE_LINE"] != nil && fields["CODE_FUNC"] != nil)
        // The audit trail: who opened it, without its arguments.
        let audit = try #require(entries.split(separator: "\n").first { $0.contains("\"rpc call\"") && $0.contains("socket.open") })
        let auditFields = try #require(try JSON(parsing: Array(audit.utf8)).objectValue)
        #expect(auditFields["SIOD_RPC_METHOD"] == "socket.open")
        #expect(auditFields["SIOD_PEER_UID"] == .string(String(getuid())))
        #expect(auditFields["SIOD_PEER_PID"] == .string(String(getpid())), "this test process is the client")
        #expect(auditFields["SIOD_SOCKET"] == "journaled")
        for secret in ["query-secret", "auth-secret", session] {
            #expect(!entries.contains(secret), "a secret in the journal")
        }
        server.stop()
    }
}
