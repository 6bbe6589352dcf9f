import Foundation
import SioJSON
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The scripts of `examples/`, run as a user would, against python-socketio.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct ExamplesTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples").path

    private static func start(_ script: String, _ arguments: [String], socket: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: examples + "/" + script)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SIOD_SOCKET"] = socket
        environment["PATH"] = Built.directory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        process.standardOutput = Pipe()
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func cronEmitPrintsTheAck() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let cron = try await runCommand(
            Self.examples + "/cron-emit.sh", [server.url],
            environment: ["SIOD_SOCKET": siod.socket, "PATH": Built.directory + ":/usr/bin:/bin"]
        )
        #expect(cron.status == 0, "\(cron.err)")
        let ack = try JSON(parsing: Array(cron.out.utf8))
        #expect(ack.arrayValue?.first?.objectValue?["load"]?.arrayValue?.count == 3)
        // A second run reuses the open socket.
        #expect(try await runCommand(Self.examples + "/cron-emit.sh", [server.url], environment: ["SIOD_SOCKET": siod.socket, "PATH": Built.directory + ":/usr/bin:/bin"]).status == 0)
        #expect(try RPCLineClient(path: siod.socket).call("socket.list").objectValue?["sockets"]?.arrayValue?.count == 1)
        try await siod.stop()
        server.stop()
    }

    @Test func answerBotAndJqListener() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let listener = try Self.start("listen-jq.sh", [], socket: siod.socket)
        let bot = try Self.start("answer-bot.sh", [server.url], socket: siod.socket)
        defer {
            kill(bot.processIdentifier, SIGTERM)
            kill(listener.processIdentifier, SIGTERM)
        }
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe", ["sockets": ["bot"]])
        // Ready once both scripts have subscribed (each subscription is in the audit log, with
        // ours: three) and the bot's socket is connected.
        try siod.waitForLog("rpc.method=events.subscribe", count: 3)
        try client.waitConnected("bot")
        try client.call("socket.emit", ["socket": "bot", "event": "ask", "args": ["hello"]])
        let answered = try client.notification("socket.event") { $0["event"] == "answer" }
        #expect(answered["args"] == ["HELLO"])
        // The jq listener printed the events as compact lines.
        kill(listener.processIdentifier, SIGTERM)
        let pipe = try #require(listener.standardOutput as? Pipe)
        // jq dies with the group; read what it printed so far without waiting for EOF.
        let flags = fcntl(pipe.fileHandleForReading.fileDescriptor, F_GETFL)
        _ = fcntl(pipe.fileHandleForReading.fileDescriptor, F_SETFL, flags | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let count = read(pipe.fileHandleForReading.fileDescriptor, &buffer, buffer.count)
        let printed = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
        #expect(printed.contains(#"{"socket":"bot","event":"question","args":["hello"]}"#))
        try await siod.stop()
        server.stop()
    }
}
