import Foundation
import SioJSON
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The event journal (docs/rpc.md § The event journal, § Consumers) against python-socketio's
/// firehose (`count N` emits `tick {n}` N times): replays meet the live stream with no gap and
/// no duplicate, consumers resume where they committed, `seq` is never reused.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(4)))
struct JournalTests {
    /// A `socket.event` notification's `seq` and tick number, if it is a tick.
    private static func tick(_ message: JSONObject) -> (seq: Int, n: Int)? {
        guard message["method"] == "socket.event", let params = message["params"]?.objectValue, params["event"] == "tick",
              let seq = params["seq"]?.intValue, let n = params["args"]?.arrayValue?.first?.objectValue?["n"]?.intValue
        else { return nil }
        return (seq, n)
    }

    /// Room for the whole firehose in each client's queue: the test's own reader (a debug
    /// build parsing every line) is slower than the server, and a lagging reader is not what
    /// is tested here.
    private static let roomy = ["--max-queued-notifications", "100000", "--max-queued-bytes", "100000000"]

    @Test func replayUnderAFirehose_meetsTheLiveStream_withNoGapAndNoDuplicate() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let siod = try await SiodProcess(in: scratch, arguments: Self.roomy)
        let live = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try live.openConnected("fire", url: server.url, ["journal": ["events": 100_000]])
        try live.call("events.subscribe", ["sockets": ["fire"], "events": ["tick"]])
        let total = 20_000
        try live.call("socket.emit", ["socket": "fire", "event": "count", "args": [.number(JSONNumber(total))]])
        var liveSeqs: [Int] = []
        var since = 0
        var late: RPCLineClient?
        var lateSeqs: [Int] = []
        var gaps = 0
        var lagged: [String] = []
        while liveSeqs.count < total {
            let message: JSONObject
            do { message = try live.readMessage() } catch {
                throw HarnessError("live: \(liveSeqs.count) ticks, last \(liveSeqs.last ?? 0), lagged \(lagged): \(error)")
            }
            if message["method"] == "events.lagged" { lagged.append(message["params"]?.serialized ?? "") }
            guard let (seq, _) = Self.tick(message) else { continue }
            liveSeqs.append(seq)
            // A subscriber from the past joins while the firehose runs.
            if liveSeqs.count == 3_000 {
                since = liveSeqs[999]
                let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
                try client.call("events.subscribe", ["sockets": ["fire"], "events": ["tick"], "since": ["fire": .number(JSONNumber(since))]])
                late = client
            }
        }
        let last = try #require(liveSeqs.last)
        while let client = late, lateSeqs.last ?? 0 < last {
            let message: JSONObject
            do { message = try client.readMessage() } catch {
                throw HarnessError("late: \(lateSeqs.count) ticks since \(since), last \(lateSeqs.last ?? 0) of \(last): \(error)")
            }
            if message["method"] == "events.gap" { gaps += 1 }
            if let (seq, _) = Self.tick(message) { lateSeqs.append(seq) }
        }
        #expect(liveSeqs == Array(liveSeqs.first!...last), "the live subscriber saw every seq once")
        #expect(gaps == 0 && lagged.isEmpty, "\(lagged)")
        #expect(lateSeqs == Array(since + 1...last), "replayed then live: \(lateSeqs.count) events, expected \(last - since)")
        _ = try await siod.stop()
    }

    @Test func sinceOlderThanTheJournal_getsTheGap_thenWhatItHolds() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let siod = try await SiodProcess(in: scratch)
        let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try client.openConnected("small", url: server.url, ["journal": ["events": 10]])
        try client.call("events.subscribe", ["sockets": ["small"], "events": ["tick"]])
        try client.call("socket.emit", ["socket": "small", "event": "count", "args": [30]])
        var lastSeq = 0
        var ticks = 0
        while ticks < 30 {
            if let (seq, _) = Self.tick(try client.readMessage()) {
                ticks += 1
                lastSeq = seq
            }
        }
        let reader = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try reader.call("events.subscribe", ["sockets": ["small"], "since": ["small": 0]])
        let gap = try reader.notification("events.gap")
        #expect(gap["socket"] == "small")
        #expect(gap["from"] == 1 && gap["to"]?.intValue == lastSeq - 10)
        var replayed: [Int] = []
        while replayed.count < 10 {
            if let (seq, _) = Self.tick(try reader.readMessage()) { replayed.append(seq) }
        }
        #expect(replayed == Array(lastSeq - 9...lastSeq))
        #expect(try reader.errorType("events.subscribe", ["sockets": ["small"], "since": ["other": 0]]) == "invalid_params")
        _ = try await siod.stop()
    }

    /// A consumer killed 10 times mid-stream (its connection dropped without a word) resumes
    /// with `consumer` and in the end has seen every tick, duplicates only from after its last
    /// commit before each kill.
    @Test func aConsumerKilledTenTimes_resumesWithNoGap() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let siod = try await SiodProcess(in: scratch, arguments: Self.roomy)
        let control = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try control.openConnected("feed", url: server.url, ["journal": ["events": 100_000]])
        let total = 20_000
        var seen: [Int: Int] = [:]
        var uncommitted = 0
        var duplicatesAllowed = 0
        var lastSeq = 0
        var started = false
        for life in 0...10 {
            let consumer = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
            try consumer.call("events.subscribe", ["sockets": ["feed"], "events": ["tick"], "consumer": "bot"])
            if !started {
                // The consumer exists (positioned at the head): the firehose may start.
                try control.call("socket.emit", ["socket": "feed", "event": "count", "args": [.number(JSONNumber(total))]])
                started = true
            }
            duplicatesAllowed += uncommitted
            uncommitted = 0
            let lifetime = life == 10 ? Int.max : Int.random(in: 300...2_500)
            var read = 0
            var kept: [JSONObject] = []
            while read < lifetime && seen.count < total {
                let message = kept.isEmpty ? try consumer.readMessage() : kept.removeFirst()
                guard let (seq, n) = Self.tick(message) else { continue }
                #expect(seq > lastSeq || seen[n] != nil, "seq \(seq) after \(lastSeq): a new event out of order")
                lastSeq = max(lastSeq, seq)
                seen[n, default: 0] += 1
                read += 1
                uncommitted += 1
                // Commits every 100 events, as a batch worker would; what came meanwhile is
                // handled next.
                if read.isMultiple(of: 100) {
                    try consumer.call("events.commit", ["consumer": "bot", "socket": "feed", "seq": .number(JSONNumber(seq))])
                    kept += consumer.notifications
                    consumer.forgetNotifications()
                    uncommitted = 0
                }
            }
            // Killed: the connection just goes.
        }
        #expect(seen.count == total, "every tick seen: \(seen.count) of \(total)")
        let extra = seen.values.reduce(0, +) - seen.count
        #expect(extra <= duplicatesAllowed, "\(extra) duplicates, at most \(duplicatesAllowed) uncommitted at the kills")
        let consumers = try control.call("events.consumers").objectValue?["consumers"]?.arrayValue ?? []
        #expect(consumers.first?.objectValue?["consumer"] == "bot")
        print("consumer: \(total) ticks over 11 lives, \(extra) seen twice (\(duplicatesAllowed) uncommitted at the kills)")
        _ = try await siod.stop()
    }

    /// `seq` goes on after a clean restart with no jump, and after `kill -9` is never reused.
    @Test func seqContinuesAcrossRestarts_andIsNeverReused() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let state = scratch.path + "/state"
        var lastSeq = 0
        for (round, signal) in [(0, SIGTERM), (1, SIGKILL), (2, SIGTERM)] {
            let siod = try await SiodProcess(in: scratch, name: "siod\(round)", stateDirectory: state)
            let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
            if round == 0 {
                try client.openConnected("keep", url: server.url, ["lifetime": "persistent"])
            } else {
                try client.call("events.subscribe", ["sockets": ["keep"], "events": []])
                try client.waitConnected("keep")
            }
            try client.call("events.subscribe", ["sockets": ["keep"], "events": ["tick"]])
            try client.call("socket.emit", ["socket": "keep", "event": "count", "args": [5]])
            var seqs: [Int] = []
            while seqs.count < 5 {
                if let (seq, _) = Self.tick(try client.readMessage()) { seqs.append(seq) }
            }
            #expect(seqs.first! > lastSeq, "round \(round): seq \(seqs.first!) after \(lastSeq): \(siod.log)")
            if round == 2 { #expect(seqs.first! == lastSeq + 1 || seqs.first! > lastSeq, "no reuse") }
            if round == 1 {
                // The clean stop of round 0 saved the counter exactly: no jump.
                #expect(seqs.first! <= lastSeq + 3, "after a clean stop, numbering goes on (\(seqs.first!) after \(lastSeq))")
            }
            lastSeq = seqs.last!
            _ = try await siod.stop(signal: signal)
        }
    }

    /// A disk journal keeps every event across a restart: a subscriber from 0 gets them all
    /// back (the memory holds only 5), and `seq` goes on after them.
    @Test func aDiskJournal_survivesARestart_andSeqGoesOn() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let state = scratch.path + "/state"
        var siod = try await SiodProcess(in: scratch, stateDirectory: state)
        var client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try client.openConnected("disk", url: server.url, ["lifetime": "persistent", "journal": ["events": 5, "disk": true]])
        try client.call("events.subscribe", ["sockets": ["disk"], "events": ["tick"]])
        try client.call("socket.emit", ["socket": "disk", "event": "count", "args": [30]])
        var before: [Int] = []
        while before.count < 30 {
            if let (seq, _) = Self.tick(try client.readMessage()) { before.append(seq) }
        }
        _ = try await siod.stop(signal: SIGKILL)

        siod = try await SiodProcess(in: scratch, name: "again", stateDirectory: state)
        client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try client.call("events.subscribe", ["sockets": ["disk"], "events": ["tick"], "since": ["disk": 0]])
        var replayed: [Int] = []
        while replayed.count < 30 {
            let message = try client.readMessage()
            #expect(message["method"] != "events.gap", "\(message)")
            if let (seq, _) = Self.tick(message) { replayed.append(seq) }
        }
        #expect(replayed == before, "every event back from disk, in order")
        try client.call("events.subscribe", ["sockets": ["disk"], "events": []])
        try client.waitConnected("disk")
        try client.call("socket.emit", ["socket": "disk", "event": "count", "args": [1]])
        var next: Int?
        while next == nil {
            if let (seq, _) = Self.tick(try client.readMessage()) { next = seq }
        }
        #expect(try #require(next) > before.last!, "seq goes on after a kill -9")
        _ = try await siod.stop()
    }

    /// Connection state recovery after `kill -9`, against the recovering fixture: with a disk
    /// journal the restart recovers from the newest offset delivered, so no event comes twice;
    /// the events the server kept while siod was away come once.
    @Test func recoveryAfterKill9_withADiskJournal_deliversNothingTwice() async throws {
        let scratch = Scratch()
        let server = try await PythonServer(script: "csr_server")
        defer { server.stop() }
        let state = scratch.path + "/state"
        var siod = try await SiodProcess(in: scratch, stateDirectory: state)
        var client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try client.call("events.subscribe", ["sockets": ["feed"]])
        try client.call("socket.open", [
            "socket": "feed", "url": .string(server.url), "transports": ["websocket"], "lifetime": "persistent",
            "journal": ["disk": true],
        ])
        try client.waitConnected("feed")
        for _ in 1...10 { try client.call("socket.emit", ["socket": "feed", "event": "tick"]) }
        var ticks = 0
        while ticks < 10 {
            _ = try client.notification("socket.event") { $0["event"] == "tick" }
            ticks += 1
        }
        try client.call("socket.emit", ["socket": "feed", "event": "arm", "args": [3], "ack": true])
        _ = try await siod.stop(signal: SIGKILL)

        siod = try await SiodProcess(in: scratch, name: "again", stateDirectory: state)
        client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try client.call("events.subscribe", ["sockets": ["feed"], "since": ["feed": 0]])
        // Every event since the first, from disk and then live: the 10 ticks and the 3 missed.
        var offsets: [String] = []
        var names: [String] = []
        var seen: [String] = []
        while names.count < 13 {
            let message: JSONObject
            do { message = try client.readMessage() } catch {
                let probe = try RPCLineClient(path: siod.socket, timeoutSeconds: 5)
                let connects = try probe.call("socket.emit", ["socket": "feed", "event": "connects", "ack": true, "durable": false])
                let status = try probe.call("socket.status", ["socket": "feed"])
                throw HarnessError("after \(names) \(offsets) \(seen): \(error); \(connects.serialized) \(status.serialized)")
            }
            seen.append(message["method"]?.stringValue ?? "response")
            guard message["method"] == "socket.event", let params = message["params"]?.objectValue else { continue }
            names.append(params["event"]?.stringValue ?? "?")
            if let offset = params["args"]?.arrayValue?.last?.stringValue { offsets.append(offset) }
        }
        let status = try client.call("socket.status", ["socket": "feed"]).objectValue ?? [:]
        #expect(status["recovered"] == true)
        #expect(names.filter { $0 == "tick" }.count == 10 && names.filter { $0 == "missed" }.count == 3, "\(names)")
        #expect(Set(offsets).count == offsets.count, "an event delivered twice: \(offsets)")
        _ = try await siod.stop()
    }

    /// The tick seqs `siodctl listen …` prints, read until `count` (within 20 s); the process is
    /// then killed, as a consumer under systemd would be.
    private static func listen(_ arguments: [String], socket: String, count: Int) async throws -> [Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Built.siodctl)
        process.arguments = ["--socket", socket, "listen"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let stream = chunks(of: output.fileHandleForReading)
        return try await withDeadline(.seconds(20), "\(count) ticks from siodctl listen \(arguments)") {
            var seqs: [Int] = []
            var buffer = Data()
            for await chunk in stream {
                buffer += chunk
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = Array(buffer[buffer.startIndex..<newline])
                    buffer = Data(buffer[(newline + 1)...])
                    if case .object(let message) = try JSON(parsing: line), let (seq, _) = Self.tick(message) { seqs.append(seq) }
                    if seqs.count == count { return seqs }
                }
            }
            return seqs
        }
    }

    /// `siodctl emit --durable`, `siodctl outbox`, `siodctl listen --since` and `--consumer`.
    @Test func siodctl_durableEmits_sinceAndConsumers() async throws {
        let scratch = Scratch()
        let server = try await PythonServer()
        defer { server.stop() }
        let siod = try await SiodProcess(in: scratch)
        let env = ["SIOD_SOCKET": siod.socket]
        let client = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try client.openConnected("ctl", url: server.url)
        let emitted = try await runCommand(Built.siodctl, ["emit", "ctl", "echo", #""x""#, "--durable"], environment: env)
        #expect(emitted.status == 0 && emitted.out.hasPrefix(#"{"status":"queued","outboxId":"#), "\(emitted.out) \(emitted.err)")
        let outbox = try await runCommand(Built.siodctl, ["outbox", "ctl"], environment: env)
        #expect(outbox.status == 0 && outbox.out.hasPrefix(#"{"pending":["#), "\(outbox.out)")

        try client.call("socket.emit", ["socket": "ctl", "event": "count", "args": [5]])
        let all = try await Self.listen(["ctl", "--event", "tick", "--since", "0"], socket: siod.socket, count: 5)
        #expect(all.count == 5 && all == Array(all[0]...all[4]), "\(all)")

        // A consumer made now begins after the last event. The first listener is killed once
        // three of five ticks are read here (it may have printed, and committed, all five into
        // the pipe); the second resumes after the last line committed: no gap, and at most the
        // last line again if its commit was still on the way.
        let control = try RPCLineClient(path: siod.socket, timeoutSeconds: 20)
        try control.call("events.subscribe", ["sockets": ["ctl"], "consumer": "shell"])
        try client.call("socket.emit", ["socket": "ctl", "event": "count", "args": [5]])
        let first = try await Self.listen(["ctl", "--event", "tick", "--consumer", "shell"], socket: siod.socket, count: 3)
        #expect(first == Array(all[4] + 1...all[4] + 3), "\(first) after \(all)")
        try client.call("socket.emit", ["socket": "ctl", "event": "count", "args": [2]])
        let rest = try await Self.listen(["ctl", "--event", "tick", "--consumer", "shell"], socket: siod.socket, count: 2)
        #expect(rest.count == 2 && rest[1] == rest[0] + 1, "\(rest)")
        #expect(rest[0] >= first.last! && rest[0] <= all[4] + 6, "\(rest) after \(first)")
        _ = try await siod.stop()
    }
}
