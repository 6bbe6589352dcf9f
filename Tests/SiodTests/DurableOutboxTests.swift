import Foundation
import SioJSON
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Durable emits (docs/rpc.md § Durable emits) against python-socketio, through a proxy that
/// can black-hole the connection: what siod answered `queued` reaches the server, in order,
/// across `kill -9`.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(5)))
struct DurableOutboxTests {
    /// The crash matrix: 20 rounds of 500 durable emits pipelined, each round ended by
    /// `kill -9` of siod after a random number of answers (0 to all), with the server black-holed
    /// in every other round (a frozen server would still read what the kernel buffered, which
    /// hides loss). At the end the proxy forwards again, and siod, restarted, sends what is left.
    @Test func durableEmits_surviveKill9_atAnyPoint() async throws {
        let rounds = 20
        let perRound = 500
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let proxy = try await PythonServer(["--target", "127.0.0.1:\(server.port)"], script: "fault_proxy")
        defer { proxy.stop() }
        let state = scratch.path + "/state"
        var generator = SystemRandomNumberGenerator()

        var queued: [Int] = []
        var unanswered: Set<Int> = []
        var killPoints: [Int] = []
        for round in 0..<rounds {
            let siod = try await SiodProcess(in: scratch, name: "siod\(round)", arguments: ["--max-requests-per-client", "1000"], stateDirectory: state)
            let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
            if round == 0 {
                try client.call("socket.open", [
                    "socket": "dur", "url": .string(proxy.url), "transports": ["websocket"], "lifetime": "persistent",
                    "durable": true, "timeout": 2000, "reconnectionDelay": 100, "reconnectionDelayMax": 400,
                ])
            }
            proxy.command(round.isMultiple(of: 2) ? "blackhole on" : "blackhole off")
            // Pipelined: every line written before the first answer is read.
            let base = round * perRound
            var lines = ""
            for n in base + 1...base + perRound {
                lines += #"{"jsonrpc":"2.0","id":\#(n),"method":"socket.emit","params":{"socket":"dur","event":"seq-ack","args":[\#(n)]}}"# + "\n"
            }
            client.send(lines)
            let killAfter = Int.random(in: 0...perRound, using: &generator)
            killPoints.append(killAfter)
            var answered: Set<Int> = []
            while answered.count < killAfter {
                let message = try client.readMessage()
                guard let id = message["id"]?.intValue else { continue }
                #expect(message["result"]?.objectValue?["status"] == "queued", "\(message)")
                answered.insert(id)
            }
            kill(siod.process.processIdentifier, SIGKILL)
            // What siod wrote before it died counts as answered too.
            while let message = try? client.readMessage() {
                if let id = message["id"]?.intValue, message["result"]?.objectValue?["status"] == "queued" { answered.insert(id) }
            }
            _ = try await siod.waitForExit()
            queued += answered.sorted()
            unanswered.formUnion(Set(base + 1...base + perRound).subtracting(answered))
        }

        // The server reachable again: siod reopens the persistent socket and sends the rest.
        proxy.command("blackhole off")
        let siod = try await SiodProcess(in: scratch, name: "siod-last", stateDirectory: state)
        let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 30)
        try client.call("events.subscribe", ["sockets": ["dur"], "events": []])
        let pending = try client.call("socket.outbox", ["socket": "dur"]).objectValue?["pending"]?.arrayValue ?? []
        var waiting = Set(pending.compactMap { $0.objectValue?["outboxId"]?.intValue })
        while !waiting.isEmpty {
            let delivered = try client.notification("socket.delivered")
            if let id = delivered["outboxId"]?.intValue { waiting.remove(id) }
        }
        let outbox = try client.call("socket.outbox", ["socket": "dur"]).objectValue
        #expect(outbox?["pending"]?.arrayValue?.isEmpty == true && outbox?["failed"]?.arrayValue?.isEmpty == true)

        let raw = try client.call("socket.emit", ["socket": "dur", "event": "seq-received-raw", "ack": true, "timeout": 10000, "durable": false])
        let received = (raw.objectValue?["args"]?.arrayValue?.first?.arrayValue ?? []).compactMap(\.intValue)
        var firsts: [Int] = []
        var seen: Set<Int> = []
        var counts: [Int: Int] = [:]
        for n in received {
            counts[n, default: 0] += 1
            if seen.insert(n).inserted { firsts.append(n) }
        }
        let lost = queued.filter { !seen.contains($0) }
        #expect(lost.isEmpty, "\(lost.count) emits answered queued never reached the server: \(lost.prefix(20))")
        #expect(firsts == firsts.sorted(), "the server's first copies are out of order")
        #expect(seen.isSubset(of: Set(1...rounds * perRound)), "the server received a number nobody sent")
        let duplicated = counts.filter { $0.value > 1 }
        let unansweredArrived = unanswered.filter { seen.contains($0) }.count
        let unansweredTwice = unanswered.filter { (counts[$0] ?? 0) > 1 }.count
        print(
            "crash matrix: \(rounds) kill -9 after \(killPoints) answers; \(queued.count) answered queued, all \(queued.count - lost.count) "
                + "received; \(received.count) receipts, \(duplicated.count) numbers received more than once "
                + "(\(duplicated.values.reduce(0, +) - duplicated.count) extra copies); of \(unanswered.count) never answered, "
                + "\(unansweredArrived) arrived (\(unansweredTwice) twice)"
        )
        _ = try await siod.stop()
    }

    /// Durable and plain emits on one socket keep their order, the server down or up.
    @Test func durableAndPlainEmits_keepTheirOrder() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let proxy = try await PythonServer(["--target", "127.0.0.1:\(server.port)"], script: "fault_proxy")
        defer { proxy.stop() }
        let siod = try await SiodProcess(in: scratch, arguments: ["--max-requests-per-client", "1000"])
        let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try client.openConnected("mix", url: proxy.url, ["timeout": 2000, "reconnectionDelay": 100, "reconnectionDelayMax": 200])
        // Cut while emitting: the durable ones wait for the next connection, the plain ones
        // behind them wait too.
        var lines = ""
        for n in 1...400 {
            let durable = n.isMultiple(of: 3) ? "true" : "false"
            lines += #"{"jsonrpc":"2.0","id":\#(n),"method":"socket.emit","params":{"socket":"mix","event":"seq-ack","args":[\#(n)],"durable":\#(durable)}}"# + "\n"
        }
        client.send(lines)
        proxy.command("cut")
        var statuses: [String: Int] = [:]
        var answers = 0
        while answers < 400 {
            let message = try client.readMessage()
            guard message["id"] != nil else { continue }
            answers += 1
            statuses[message["result"]?.objectValue?["status"]?.stringValue ?? "error", default: 0] += 1
        }
        // Every durable one is delivered before the question, which waits behind them.
        let received = try client.call("socket.emit", ["socket": "mix", "event": "seq-received-raw", "ack": true, "timeout": 10000])
        let numbers = (received.objectValue?["args"]?.arrayValue?.first?.arrayValue ?? []).compactMap(\.intValue)
        var firsts: [Int] = []
        var seen: Set<Int> = []
        for n in numbers where seen.insert(n).inserted { firsts.append(n) }
        #expect(firsts == firsts.sorted(), "first copies out of order: \(firsts.prefix(40))")
        let durables = Set((1...400).filter { $0.isMultiple(of: 3) })
        #expect(durables.isSubset(of: seen), "a durable emit was lost")
        print("durable and plain: \(statuses), server received \(numbers.count) (\(seen.count) distinct)")
        _ = try await siod.stop()
    }

    /// `durable` with `volatile` or a per-emit `timeout` is refused; a full outbox is
    /// `overloaded`; the listing and the removal of entries.
    @Test func outboxLimits_listing_andRemoval() async throws {
        let scratch = Scratch()
        let siod = try await SiodProcess(in: scratch, arguments: ["--max-requests-per-client", "1000"])
        let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        // A server nobody answers at: everything waits in the outbox.
        try client.call("socket.open", [
            "socket": "q", "url": "http://127.0.0.1:9", "durable": true, "outboxLimit": ["entries": 3], "reconnectionDelay": 5000,
        ])
        #expect(try client.errorType("socket.emit", ["socket": "q", "event": "e", "volatile": true]) == "invalid_params")
        #expect(try client.errorType("socket.emit", ["socket": "q", "event": "e", "timeout": 100]) == "invalid_params")
        var ids: [Int] = []
        for n in 1...3 {
            let result = try client.call("socket.emit", ["socket": "q", "event": "e", "args": [.number(JSONNumber(n))]]).objectValue
            #expect(result?["status"] == "queued")
            ids.append(try #require(result?["outboxId"]?.intValue))
        }
        #expect(ids == ids.sorted() && Set(ids).count == 3)
        #expect(try client.errorType("socket.emit", ["socket": "q", "event": "e"]) == "overloaded")
        let plain = try client.call("socket.emit", ["socket": "q", "event": "e", "durable": false]).objectValue
        #expect(plain?["status"] == "buffered", "a plain emit is not bounded by the outbox")
        let listed = try client.call("socket.outbox", ["socket": "q"]).objectValue
        #expect(listed?["pending"]?.arrayValue?.compactMap { $0.objectValue?["outboxId"]?.intValue } == ids)
        let removed = try client.call("socket.outbox.remove", ["socket": "q", "outboxIds": [.number(JSONNumber(ids[0])), 999_999]])
        #expect(removed.objectValue?["removed"] == [.number(JSONNumber(ids[0]))])
        #expect(try client.call("socket.emit", ["socket": "q", "event": "e"]).objectValue?["status"] == "queued", "room again")
        // The entries outlive the socket: closed and opened again, they are back.
        try client.call("socket.close", ["socket": "q"])
        try client.call("socket.open", ["socket": "q", "url": "http://127.0.0.1:9", "reconnectionDelay": 5000])
        let again = try client.call("socket.outbox", ["socket": "q"]).objectValue?["pending"]?.arrayValue ?? []
        #expect(again.count == 3, "\(again)")
        _ = try await siod.stop()
    }

    /// An entry the server never acks: `ackTimeout` per attempt, `retries` more attempts, then
    /// it has failed (`socket.outbox_failed`, listed under `failed` until removed).
    @Test func anEntryNeverAcked_failsAfterItsRetries() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let siod = try await SiodProcess(in: scratch)
        let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try client.openConnected("f", url: server.url, ["ackTimeout": 200, "retries": 1])
        // python-socketio acks nothing for an event it has no handler for.
        let queued = try client.call("socket.emit", ["socket": "f", "event": "nobody-handles-this", "durable": true]).objectValue
        let id = try #require(queued?["outboxId"])
        let failed = try client.notification("socket.outbox_failed")
        #expect(failed["outboxId"] == id && failed["event"] == "nobody-handles-this")
        #expect(failed["reason"] == "no ack after 2 attempts")
        let outbox = try client.call("socket.outbox", ["socket": "f"]).objectValue
        #expect(outbox?["pending"]?.arrayValue?.isEmpty == true)
        #expect(outbox?["failed"]?.arrayValue?.first?.objectValue?["outboxId"] == id)
        // A delivered one, for contrast: the server's ack comes as socket.delivered.
        let echo = try client.call("socket.emit", ["socket": "f", "event": "echo", "args": ["hi"], "durable": true, "ack": true]).objectValue
        #expect(echo?["status"] == "queued")
        let delivered = try client.notification("socket.delivered")
        #expect(delivered["outboxId"] == echo?["outboxId"] && delivered["args"] == ["hi"])
        #expect(try client.call("socket.outbox.remove", ["socket": "f", "outboxIds": [id]]).objectValue?["removed"] == [id])
        _ = try await siod.stop()
    }
}
