import Foundation
import SioJSON
import Testing
import TestSupport

/// siod against python-socketio through a proxy that cuts or resets the connection every 150
/// emits (Fixtures/fault_proxy.py) while a client emits with ack every 10 ms: every emit is
/// answered exactly once (the ack, `ack_timeout` or `disconnected`), none later than its
/// timeout plus a second, and what the server received agrees with the acks.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(3)))
struct ChaosTests {
    private static let emits = 500
    private static let ackTimeout = 2000

    @Test(arguments: ["websocket", "polling", "upgrade"])
    func emitsWithAck_underCutsAndResets_areEachAnsweredOnce(mode: String) async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let proxy = try await PythonServer(["--target", "127.0.0.1:\(server.port)"], script: "fault_proxy")
        defer { proxy.stop() }
        let siod = try await SiodProcess(in: scratch, arguments: ["--max-requests-per-client", "2000"])
        let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 10)
        _ = try client.call("events.subscribe", ["sockets": ["chaos"], "events": []])
        let transports: JSON = mode == "websocket" ? ["websocket"] : mode == "polling" ? ["polling"] : ["polling", "websocket"]
        _ = try client.call("socket.open", [
            "socket": "chaos", "url": .string(proxy.url), "transports": transports, "upgrade": .bool(mode == "upgrade"),
            "reconnectionDelay": 100, "reconnectionDelayMax": 400, "timeout": 2000,
        ])
        try client.waitConnected("chaos")

        // One emit with ack every 10 ms (the pace under test), from a thread of its own; ids
        // 1…N carry the number N. After every 150th, the proxy cuts or resets the connection
        // (every 1.5 s, counted in emits rather than timed beside them).
        let sentAt = LockedTimes(count: Self.emits + 1)
        Thread.detachNewThread {
            for n in 1...Self.emits {
                sentAt.set(n)
                client.send(#"{"jsonrpc":"2.0","id":\#(n),"method":"socket.emit","params":{"socket":"chaos","event":"seq-ack","args":[\#(n)],"ack":true,"timeout":\#(Self.ackTimeout)}}"# + "\n")
                if n.isMultiple(of: 150) { proxy.command((n / 150).isMultiple(of: 2) ? "reset" : "cut") }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }

        var answers: [Int: (kind: String, late: Double)] = [:]
        var duplicates = 0
        var disconnects = 0
        while answers.count < Self.emits {
            let message = try client.readMessage()
            if message["method"] == "socket.disconnect" { disconnects += 1 }
            guard let id = message["id"]?.intValue else { continue }
            let elapsed = Date.timeIntervalSinceReferenceDate - sentAt.get(id)
            let kind: String =
                if let result = message["result"] {
                    result.objectValue?["args"] == [.number(JSONNumber(id))] ? "ack" : "wrong ack \(result.serialized)"
                } else {
                    message["error"]?.objectValue?["data"]?.objectValue?["type"]?.stringValue ?? "?"
                }
            if answers[id] != nil { duplicates += 1 }
            answers[id] = (kind, elapsed)
        }
        #expect(duplicates == 0, "an emit answered twice")
        #expect(disconnects >= 2, "the proxy's cuts reached the socket (\(disconnects) disconnects)")
        let kinds = Dictionary(grouping: answers.values, by: \.kind).mapValues(\.count)
        #expect(Set(kinds.keys).isSubset(of: ["ack", "ack_timeout", "disconnected"]), "\(kinds)")
        let latest = answers.values.map(\.late).max() ?? 0
        #expect(latest < Double(Self.ackTimeout) / 1000 + 1, "an answer came \(latest) s after its emit")
        #expect((kinds["ack"] ?? 0) > Self.emits / 2, "most emits are acked: \(kinds)")

        // The server's side: every acked number arrived, once; what it holds beyond the acks
        // was answered ack_timeout or disconnected (its ack was lost in a cut).
        let acked = Set(answers.filter { $0.value.kind == "ack" }.keys)
        let received = try client.call("socket.emit", ["socket": "chaos", "event": "seq-received", "ack": true, "timeout": 5000])
        let numbers = (received.objectValue?["args"]?.arrayValue?.first?.arrayValue ?? []).compactMap(\.intValue)
        #expect(Set(numbers).count == numbers.count, "the server received a number twice")
        #expect(acked.isSubset(of: Set(numbers)), "an acked emit the server never received")
        #expect(Set(numbers).isSubset(of: Set(1...Self.emits)), "the server received a number nobody sent")
        print("chaos \(mode): \(kinds.sorted { $0.key < $1.key }), server received \(numbers.count), \(disconnects) disconnects, latest answer \(String(format: "%.2f", latest)) s")
        _ = try await siod.stop()
    }
}

/// Send times by id, written by the sending thread and read by the test.
private final class LockedTimes: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [Double]

    init(count: Int) { self.times = Array(repeating: 0, count: count) }

    func set(_ id: Int) {
        self.lock.withLock { self.times[id] = Date.timeIntervalSinceReferenceDate }
    }

    func get(_ id: Int) -> Double {
        self.lock.withLock { id < self.times.count ? self.times[id] : 0 }
    }
}
