// The scenarios run through siod: a siod process, RPC clients on its socket (this process's
// threads, or a Python consumer), and the benchmark server.
import Foundation
import SioJSON
#if canImport(Glibc)
import Glibc
#endif

/// A siod process on a socket of its own.
final class SiodUnderTest {
    let child: Child
    let socket: String
    private let directory: String
    private var nextName = 0
    /// The subscription ``openConnected(_:url:transport:extra:)`` made last.
    private(set) var lastSubscription = 0

    init(executable: String) throws {
        self.directory = "/tmp/siod-bench-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        self.socket = self.directory + "/siod.sock"
        self.child = try Child(executable, [
            "--socket", self.socket, "--state-dir", self.directory + "/state", "--config", "/dev/null",
            "--log-level", "warning", "--max-clients", "1024",
            // A consumer slower than the firehose (the Python one) is measured, not cut short:
            // by default siod drops a slow client's oldest notifications past 10,000 and says so.
            "--max-queued-notifications", "10000000", "--max-queued-bytes", "4294967296",
        ])
        // siod announces readiness to systemd only; here its socket answering is the sign.
        let deadline = now() + 20
        while true {
            if let connection = try? LineConnection(path: self.socket), (try? connection.call("daemon.ping")) != nil { break }
            guard now() < deadline else { throw BenchError("siod did not start") }
            usleep(20_000)
        }
    }

    var pid: Int32 { self.child.pid }

    func stop() {
        self.child.stop()
        self.child.process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// A fresh socket name.
    func name(_ prefix: String) -> String {
        self.nextName += 1
        return "\(prefix)\(self.nextName)"
    }

    /// Opens `name` on a control connection (lifetime `connection`: closing the control
    /// connection closes it) and returns once it is connected.
    func openConnected(_ name: String, url: String, transport: String, extra: String = "") throws -> LineConnection {
        let control = try LineConnection(path: self.socket)
        let subscribed = try control.call("events.subscribe", #"{"sockets":["\#(name)"],"events":["-"]}"#, id: 1)
        self.lastSubscription = Int(subscribed.split(separator: ":").last?.prefix { $0.isNumber } ?? "") ?? 0
        _ = try control.call("socket.open", #"{"socket":"\#(name)","url":"\#(url)","lifetime":"connection","transports":["\#(transport)"]\#(extra)}"#, id: 2)
        let connected = Array(#""method":"socket.connect""#.utf8)
        try control.readLines { !$0.contains(connected) }
        return control
    }
}

/// What one repetition measured: a rate (or latencies) and the CPU seconds each process used.
struct Sample {
    var rate: Double
    var clientCPU: Double
    var serverCPU: Double
    var seconds: Double
    var latencies: [Double] = []
    var extra: [String: Double] = [:]
}

extension SiodUnderTest {
    /// Inbound: `n` ticks of about `size` bytes from the server, delivered to `subscribers`
    /// Swift readers that count every line and parse one in 100 and the last.
    func inbound(url: String, server: Int32, n: Int, size: Int, subscribers: Int, transport: String, extra: String = "") throws -> Sample {
        let name = self.name("in")
        let control = try self.openConnected(name, url: url, transport: transport, extra: extra)
        var readers: [LineConnection] = []
        for _ in 0..<subscribers {
            let reader = try LineConnection(path: self.socket)
            _ = try reader.call("events.subscribe", #"{"sockets":["\#(name)"],"events":["tick"]}"#, id: 1)
            readers.append(reader)
        }
        let finished = DispatchGroup()
        let results = LockedBox([(count: Int, last: Int, error: String?)]())
        for reader in readers {
            finished.enter()
            Thread.detachNewThread {
                defer { finished.leave() }
                let outcome = Self.countTicks(reader, n: n)
                results.withLock { $0.append(outcome) }
            }
        }
        let (siodCPU, serverCPU, start) = (cpuSeconds(self.pid), cpuSeconds(server), now())
        _ = try control.call("socket.emit", #"{"socket":"\#(name)","event":"start","args":[{"n":\#(n),"size":\#(size)}]}"#, id: 3)
        guard finished.wait(timeout: .now() + 300) == .success else { throw BenchError("inbound: not every tick arrived within 300 s") }
        let elapsed = now() - start
        for outcome in results.withLock({ $0 }) {
            if let error = outcome.error { throw BenchError("inbound: \(error)") }
            guard outcome.count == n, outcome.last == n - 1 else { throw BenchError("inbound: \(outcome.count) of \(n) ticks, last n \(outcome.last)") }
        }
        return Sample(rate: Double(n) / elapsed, clientCPU: cpuSeconds(self.pid) - siodCPU, serverCPU: cpuSeconds(server) - serverCPU, seconds: elapsed)
    }

    /// Counts `socket.event` lines until `n`; parses one in 100 and the last with SioJSON.
    private static func countTicks(_ reader: LineConnection, n: Int) -> (count: Int, last: Int, error: String?) {
        let event = Array(#""method":"socket.event""#.utf8)
        let lagged = Array(#""method":"events.lagged""#.utf8)
        var count = 0
        var last = -1
        do {
            try reader.readLines { line in
                if line.contains(event) {
                    count += 1
                    if count % 100 == 0 || count == n {
                        let message = try JSON(parsing: Array(line))
                        guard let tick = message.objectValue?["params"]?.objectValue?["args"]?.arrayValue?.first?.objectValue?["n"]?.intValue else {
                            throw BenchError("not a tick: \(String(decoding: line, as: UTF8.self).prefix(200))")
                        }
                        last = tick
                    }
                } else if line.contains(lagged) {
                    throw BenchError("siod dropped notifications: \(String(decoding: line, as: UTF8.self))")
                }
                return count < n
            }
        } catch {
            return (count, last, "\(error)")
        }
        return (count, last, nil)
    }

    /// Inbound to a Python program reading siod's socket and parsing every line.
    func inboundToPython(url: String, server: Int32, python: String, script: String, n: Int) throws -> Sample {
        let name = self.name("py")
        let control = try self.openConnected(name, url: url, transport: "websocket")
        let consumer = try Child(python, [script, "rpc-consumer", self.socket, String(n)])
        guard try consumer.readLine() == "READY" else { throw BenchError("the Python consumer did not start") }
        let (siodCPU, serverCPU) = (cpuSeconds(self.pid), cpuSeconds(server))
        _ = try control.call("socket.emit", #"{"socket":"\#(name)","event":"start","args":[{"n":\#(n),"size":0}]}"#, id: 3)
        let result = try consumer.readJSON()
        guard result["last"] as? Int == n - 1 else { throw BenchError("the Python consumer ended at \(result["last"] ?? "?")") }
        return Sample(
            rate: result["rate"] as? Double ?? 0, clientCPU: cpuSeconds(self.pid) - siodCPU, serverCPU: cpuSeconds(server) - serverCPU,
            seconds: result["seconds"] as? Double ?? 0, extra: ["consumerCPU": result["cpu"] as? Double ?? 0]
        )
    }

    /// Outbound: `n` pipelined `socket.emit` (at most `window` in flight, siod's default
    /// per-client limit), then a `flush` with ack that the server answers with its count. With
    /// `durable`, the socket's emits are durable: each is answered `queued` once on disk, and the
    /// flush goes out behind them all. The control connection keeps no subscription, as an
    /// emitting process that does not watch `socket.delivered` would.
    func outbound(url: String, server: Int32, n: Int, window: Int = 64, durable: Bool = false) throws -> Sample {
        let name = self.name(durable ? "dur" : "out")
        let control = try self.openConnected(name, url: url, transport: "websocket", extra: durable ? #","durable":true"# : "")
        _ = try control.call("events.unsubscribe", #"{"subscription":\#(self.lastSubscription)}"#, id: 4)
        let slots = DispatchSemaphore(value: window)
        let error = Array(#""error""#.utf8)
        var seen = 0
        let reading = BackgroundReader(control) { line in
            if line.contains(error) { throw BenchError(String(decoding: line, as: UTF8.self)) }
            seen += 1
            slots.signal()
            return seen < n
        }
        let (siodCPU, serverCPU, start) = (cpuSeconds(self.pid), cpuSeconds(server), now())
        for i in 0..<n {
            slots.wait()
            control.send(#"{"jsonrpc":"2.0","id":\#(i + 10),"method":"socket.emit","params":{"socket":"\#(name)","event":"sink","args":[{"n":\#(i)}]}}"# + "\n")
        }
        try reading.wait("outbound")
        let flushed = try control.call("socket.emit", #"{"socket":"\#(name)","event":"flush","ack":true,"durable":false}"#, id: 5)
        let elapsed = now() - start
        guard flushed.contains(#""args":[\#(n)]"#) else { throw BenchError("outbound: the server counted \(flushed)") }
        return Sample(rate: Double(n) / elapsed, clientCPU: cpuSeconds(self.pid) - siodCPU, serverCPU: cpuSeconds(server) - serverCPU, seconds: elapsed)
    }

    /// Outbound through `siodctl emit`, one process per emit, from a shell loop.
    func outboundThroughSiodctl(url: String, server: Int32, siodctl: String, n: Int) throws -> Sample {
        let name = self.name("ctl")
        let control = try self.openConnected(name, url: url, transport: "websocket")
        let (siodCPU, serverCPU, start) = (cpuSeconds(self.pid), cpuSeconds(server), now())
        let shell = try Child("/bin/sh", ["-c", #"for i in $(seq 1 \#(n)); do "$0" --socket "$1" emit "$2" sink '{"n":1}' >/dev/null || exit 1; done; echo done"#, siodctl, self.socket, name])
        guard try shell.readLine() == "done" else { throw BenchError("the siodctl loop failed") }
        let flushed = try control.call("socket.emit", #"{"socket":"\#(name)","event":"flush","ack":true}"#, id: 5)
        let elapsed = now() - start
        guard flushed.contains(#""args":[\#(n)]"#) else { throw BenchError("siodctl: the server counted \(flushed)") }
        return Sample(rate: Double(n) / elapsed, clientCPU: cpuSeconds(self.pid) - siodCPU, serverCPU: cpuSeconds(server) - serverCPU, seconds: elapsed)
    }

    /// Ack round trips: `n` `socket.emit` with `ack:true` to `echo`, `inflight` at a time.
    func ack(url: String, server: Int32, n: Int, inflight: Int, transport: String) throws -> Sample {
        let name = self.name("ack")
        let control = try self.openConnected(name, url: url, transport: transport)
        var sentAt = [Double](repeating: 0, count: n)
        var latencies = [Double](repeating: 0, count: n)
        let request = { (i: Int) in #"{"jsonrpc":"2.0","id":\#(i + 10),"method":"socket.emit","params":{"socket":"\#(name)","event":"echo","args":[\#(i)],"ack":true}}"# + "\n" }
        let (siodCPU, serverCPU, start) = (cpuSeconds(self.pid), cpuSeconds(server), now())
        if inflight == 1 {
            for i in 0..<n {
                sentAt[i] = now()
                control.send(request(i))
                _ = try control.readLine()
                latencies[i] = now() - sentAt[i]
            }
        } else {
            let slots = DispatchSemaphore(value: inflight)
            let sent = LockedBox(sentAt)
            let measured = LockedBox(latencies)
            var seen = 0
            let reading = BackgroundReader(control) { line in
                // {"jsonrpc":"2.0","id":N,…}: the id follows the first `"id":`.
                guard let id = Self.responseID(line) else { throw BenchError(String(decoding: line, as: UTF8.self)) }
                let at = now()
                let started = sent.withLock { $0[id - 10] }
                measured.withLock { $0[id - 10] = at - started }
                seen += 1
                slots.signal()
                return seen < n
            }
            for i in 0..<n {
                slots.wait()
                sent.withLock { $0[i] = now() }
                control.send(request(i))
            }
            try reading.wait("ack")
            latencies = measured.withLock { $0 }
        }
        let elapsed = now() - start
        return Sample(
            rate: Double(n) / elapsed, clientCPU: cpuSeconds(self.pid) - siodCPU, serverCPU: cpuSeconds(server) - serverCPU,
            seconds: elapsed, latencies: latencies.sorted()
        )
    }

    private static func responseID(_ line: UnsafeBufferPointer<UInt8>) -> Int? {
        let key = Array(#""id":"#.utf8)
        guard let base = line.baseAddress, let found = line.firstOffset(of: key) else { return nil }
        var cursor = base + found + key.count
        let end = base + line.count
        var value = 0
        var digits = 0
        while cursor < end, cursor.pointee >= 0x30, cursor.pointee <= 0x39 {
            value = value * 10 + Int(cursor.pointee - 0x30)
            cursor += 1
            digits += 1
        }
        return digits > 0 && !line.contains(Array(#""error""#.utf8)) ? value : nil
    }

    /// Scale: `n` sockets, each on its own connection (`forceNew`), opened pipelined; the
    /// connect rate, siod's memory per connected socket, and its CPU while idle for `idle` s.
    func scale(url: String, n: Int, idle: Double) throws -> Sample {
        let control = try LineConnection(path: self.socket)
        _ = try control.call("events.subscribe", #"{"events":["-"]}"#, id: 1)
        let baseline = residentBytes(self.pid)
        let prefix = self.name("scale") + "-"
        let slots = DispatchSemaphore(value: 64)
        let connect = Array(#""method":"socket.connect""#.utf8)
        let error = Array(#""error""#.utf8)
        let result = Array(#""result""#.utf8)
        var responses = 0
        var connects = 0
        let reading = BackgroundReader(control) { line in
            if line.contains(connect) {
                connects += 1
            } else if line.contains(error) {
                throw BenchError(String(decoding: line, as: UTF8.self))
            } else if line.contains(result) {
                responses += 1
                slots.signal()
            }
            return connects < n || responses < n
        }
        let start = now()
        for i in 0..<n {
            slots.wait()
            control.send(#"{"jsonrpc":"2.0","id":\#(i + 10),"method":"socket.open","params":{"socket":"\#(prefix)\#(i)","url":"\#(url)","lifetime":"connection","transports":["websocket"],"forceNew":true}}"# + "\n")
        }
        try reading.wait("scale")
        let elapsed = now() - start
        let perSocket = Double(residentBytes(self.pid) - baseline) / Double(n)
        var idleCPU = 0.0
        if idle > 0 {
            let before = cpuSeconds(self.pid)
            Thread.sleep(forTimeInterval: idle)
            idleCPU = (cpuSeconds(self.pid) - before) / idle
        }
        _ = control  // closing it closes the sockets
        return Sample(rate: Double(n) / elapsed, clientCPU: 0, serverCPU: 0, seconds: elapsed, extra: ["rssPerSocket": perSocket, "idleCPU": idleCPU])
    }
}

/// Reads a connection's lines on a thread of its own until `handle` returns false or throws.
final class BackgroundReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let failure = LockedBox<String?>(nil)

    /// `handle` runs on the reader thread only (the state it keeps is that thread's).
    init(_ connection: LineConnection, _ handle: @escaping (UnsafeBufferPointer<UInt8>) throws -> Bool) {
        let handler = UncheckedHandler(handle: handle)
        Thread.detachNewThread { [done, failure] in
            do { try connection.readLines(handler.handle) } catch { failure.withLock { $0 = "\(error)" } }
            done.signal()
        }
    }

    /// Waits (at most 300 s) for the end of the reading; throws what stopped it, if anything.
    func wait(_ scenario: String) throws {
        guard self.done.wait(timeout: .now() + 300) == .success else { throw BenchError("\(scenario): no end within 300 s") }
        if let error = self.failure.withLock({ $0 }) { throw BenchError("\(scenario): \(error)") }
    }
}

private struct UncheckedHandler: @unchecked Sendable {
    let handle: (UnsafeBufferPointer<UInt8>) throws -> Bool
}

/// A value behind a lock, for the reader threads.
final class LockedBox<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        self.lock.lock()
        defer { self.lock.unlock() }
        return try body(&self.value)
    }
}
