import Foundation
import SioJSON
import Testing
import TestSupport

/// Emits that one RPC connection pipelines to one socket reach the server in the order the
/// requests were sent, on every transport (a shell script piping lines through socat counts on
/// it; the reference client guarantees it for its own emits).
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(3)))
struct EmitOrderTests {
    @Test(arguments: ["websocket", "polling"])
    func pipelinedEmits_reachTheServerInRequestOrder(transport: String) async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        let siod = try await SiodProcess(in: scratch)
        let client = try RPCLineClient(path: siod.socket)
        try client.call("events.subscribe", ["sockets": ["order"], "events": ["-"]])
        try client.call("socket.open", ["socket": "order", "url": .string(server.url), "transports": [.string(transport)]])
        try client.waitConnected("order")

        // 3,000 emits, up to 60 in flight: each line is sent before the earlier ones are answered.
        let total = 3000
        let window = 60
        var sent = 0
        var answered = 0
        var errors: [String] = []
        while answered < total {
            while sent < total, sent - answered < window {
                sent += 1
                client.send(
                    #"{"jsonrpc":"2.0","id":\#(1_000_000 + sent),"method":"socket.emit","params":{"socket":"order","event":"seq","args":[\#(sent)]}}"# + "\n"
                )
            }
            let message = try client.readMessage()
            guard let id = message["id"]?.intValue, id > 1_000_000 else { continue }
            if let error = message["error"] { errors.append(error.serialized) }
            answered += 1
        }
        #expect(errors.isEmpty, "\(errors.prefix(3))")

        let report = try client.call("socket.emit", ["socket": "order", "event": "seq-report", "ack": true])
        let counts = try #require(report.objectValue?["args"]?.arrayValue?.first?.objectValue)
        #expect(counts["count"] == .number(JSONNumber(total)))
        #expect(counts["distinct"] == .number(JSONNumber(total)))
        #expect(counts["inversions"] == 0)
        #expect(counts["inOrder"] == true)
    }
}
