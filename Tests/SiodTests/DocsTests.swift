import Foundation
import Testing
import TestSupport

/// The socat transcripts at the top of docs/rpc.md, run as written against a fresh siod and
/// python-socketio; outputs are compared after masking what differs between runs (the
/// server's port, socket ids, session IDs).
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct DocsTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/rpc.md").path

    /// `(command, expected output)` of every `$ …socat…` line of the console blocks.
    static func transcripts() throws -> [(command: String, output: [String])] {
        let text = try String(contentsOfFile: document, encoding: .utf8)
        var result: [(String, [String])] = []
        var inConsole = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") {
                inConsole = line == "```console"
                continue
            }
            guard inConsole else { continue }
            if line.hasPrefix("$ ") {
                result.append((String(line.dropFirst(2)), []))
            } else if !result.isEmpty {
                result[result.count - 1].1.append(line)
            }
        }
        return result.filter { $0.0.contains("socat") }
    }

    static func mask(_ text: String, port: Int) -> String {
        var masked = text.replacingOccurrences(of: "127.0.0.1:\(port)", with: "127.0.0.1:PORT")
            .replacingOccurrences(of: "127.0.0.1:5000", with: "127.0.0.1:PORT")
        for pattern in [#""sessionId":"[^"]*""#, #""id":"[^"]*""#] {
            masked = masked.replacingOccurrences(of: pattern, with: "MASKED", options: .regularExpression)
        }
        return masked
    }

    @Test func socatTranscriptsRunAsWritten() async throws {
        let transcripts = try Self.transcripts()
        #expect(transcripts.count >= 5)
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        for (command, expected) in transcripts {
            let runnable = command.replacingOccurrences(of: "127.0.0.1:5000", with: "127.0.0.1:\(server.port)")
            let shell = try await runCommand("/bin/sh", ["-c", runnable], environment: ["SIOD_SOCKET": siod.socket])
            #expect(shell.status == 0, "\(command): \(shell.err)")
            // Requests of one connection run concurrently: their responses may come in
            // another order, so lines are compared as a set.
            let got = Self.mask(shell.out, port: server.port).split(separator: "\n").sorted()
            let want = Self.mask(expected.joined(separator: "\n"), port: server.port).split(separator: "\n").sorted()
            #expect(got == want, "\(command)")
        }
        try await siod.stop()
        server.stop()
    }
}
