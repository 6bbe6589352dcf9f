// siod against python-socketio's AsyncClient, side by side in one run, against the same
// loopback server (BenchServer, in a process of its own). Prints one table (median and range
// over the repetitions, the CPU of client and server) and writes it as JSON.
//
//   scripts/bench                       # release build, the Python peers, every scenario
//   siod-bench [--smoke] [--reps 5] [--json FILE] [--python PATH] [--idle 30] [--only TEXT] [--siod PATH]
//   siod-bench server [--port 0]        # the benchmark server alone
//   siod-bench relay --socket PATH --port N   # the floor's relay (started by the run)
import Foundation
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments

/// A line on stdout at once (print's buffer would hold the table until the end when piped).
func say(_ line: String = "") { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

if arguments.contains("--help") || arguments.contains("-h") {
    say("""
        usage: siod-bench [--smoke] [--reps N] [--idle SECONDS] [--only TEXT] [--json FILE] [--python PATH] [--siod PATH]
               siod-bench server [--port N]
               siod-bench relay --socket PATH --port N

        Runs every scenario through siod and through python-socketio's AsyncClient against the same
        loopback server, and prints one table (median [min–max] over the repetitions, the ratio, and
        the CPU of client and server); scripts/bench builds everything and runs it.

          --reps N        repetitions of each scenario (default 5; 1 with --smoke)
          --idle SECONDS  how long the idle-CPU figure is measured (default 30)
          --only TEXT     only the figures whose name contains TEXT
          --json FILE     where the table is written as JSON (default .build/siod-bench.json)
          --python PATH   the Python with python-socketio (default .venv/bin/python)
          --siod PATH     the siod binary to measure (default: the one next to siod-bench)
          --smoke         a short run on small counts, to check every scenario works
          server          the benchmark server alone (prints PORT n)
          relay           the floor row's relay (the run starts it)
        """)
    exit(0)
}

if arguments.count > 1, arguments[1] == "server" {
    // Ends with the run that started it, however that run ends: its end closes our stdin.
    Thread.detachNewThread {
        var byte: UInt8 = 0
        while read(0, &byte, 1) > 0 {}
        exit(0)
    }
    raiseFileLimit()
    let port = try BenchServer.start(port: Int(option("--port") ?? "0") ?? 0)
    say("PORT \(port)")
    while true { pause() }
}

if arguments.count > 1, arguments[1] == "relay" {
    // Ends with the run that started it, as the server does.
    Thread.detachNewThread {
        var byte: UInt8 = 0
        while read(0, &byte, 1) > 0 {}
        exit(0)
    }
    guard let path = option("--socket"), let port = option("--port").flatMap(Int.init) else {
        FileHandle.standardError.write(Data("usage: siod-bench relay --socket PATH --port N\n".utf8))
        exit(64)
    }
    try runRelay(socket: path, port: port)
}

let smoke = arguments.contains("--smoke")
let reps = Int(option("--reps") ?? (smoke ? "1" : "5")) ?? 5
let idleSeconds = Double(option("--idle") ?? (smoke ? "0.2" : "30")) ?? 30
let binaries = URL(fileURLWithPath: Bundle.main.executablePath ?? arguments[0]).deletingLastPathComponent()
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let python = option("--python") ?? root.appendingPathComponent(".venv/bin/python").path
let pyScript = root.appendingPathComponent("Benchmarks/python/pysio_bench.py").path
/// Only the figures whose name contains this (`--only polling`).
let only = option("--only")
let jsonPath = option("--json") ?? (smoke ? nil : ".build/siod-bench.json")

/// Event counts per scenario: the full run, or a smoke run on the debug build.
func count(_ full: Int) -> Int { smoke ? max(1, min(full, 200)) : full }

raiseFileLimit()
let runStarted = now()
let serverChild = try Child(binaries.appendingPathComponent("siod-bench").path, ["server"], keepStdinOpen: true)
let serverLine = try serverChild.readLine()
guard serverLine.hasPrefix("PORT "), let port = Int(serverLine.dropFirst(5)) else { throw BenchError("the server did not start: \(serverLine)") }
let url = "http://127.0.0.1:\(port)"
let server = serverChild.pid
/// `--siod PATH`: another siod binary (to compare builds).
let siodPath = option("--siod") ?? binaries.appendingPathComponent("siod").path
let siodctlPath = binaries.appendingPathComponent("siodctl").path

// MARK: - Rows

/// One line of the table: a figure for siod and for python-socketio, over the repetitions.
struct Row: Codable {
    var figure: String
    var unit: String
    var higherIsBetter: Bool
    var siod: Spread?
    var python: Spread?
    /// CPU use in percent of one core while measuring (median): client, then server.
    var siodCPU: Double?
    var siodServerCPU: Double?
    var pythonCPU: Double?
    var pythonServerCPU: Double?
    var note: String?

    /// siod's advantage: siod/python for rates, python/siod for latencies and memory.
    var ratio: Double? {
        guard let siod, let python, siod.median > 0, python.median > 0 else { return nil }
        return self.higherIsBetter ? siod.median / python.median : python.median / siod.median
    }
}

var rows: [Row] = []
/// Whether a scenario failed (the run then exits 1).
var failed = false

func median(_ values: [Double]) -> Double? { values.isEmpty ? nil : Spread(values).median }

/// Runs `reps` repetitions of each side and records a row per figure `pick` extracts.
@MainActor
func measure(
    _ figures: [(name: String, unit: String, higherIsBetter: Bool, pick: (Sample) -> Double)], note: String? = nil, reps: Int = reps,
    siod siodRun: (() throws -> Sample)?, python pythonRun: (() throws -> Sample)?
) {
    if let only, !figures.contains(where: { $0.name.contains(only) }) { return }
    var siodSamples: [Sample] = []
    var pythonSamples: [Sample] = []
    var failure: String?
    do {
        for _ in 0..<reps {
            if let siodRun { siodSamples.append(try siodRun()) }
            if let pythonRun { pythonSamples.append(try pythonRun()) }
        }
    } catch {
        failure = "\(error)"
        failed = true
        FileHandle.standardError.write(Data("siod-bench: \(figures.first?.name ?? ""): \(error)\n".utf8))
    }
    let percent = { (samples: [Sample], cpu: (Sample) -> Double) in median(samples.map { 100 * cpu($0) / max($0.seconds, 1e-9) }) }
    for figure in figures {
        var row = Row(figure: figure.name, unit: figure.unit, higherIsBetter: figure.higherIsBetter, note: failure ?? note)
        if !siodSamples.isEmpty { row.siod = Spread(siodSamples.map(figure.pick)) }
        if !pythonSamples.isEmpty { row.python = Spread(pythonSamples.map(figure.pick)) }
        row.siodCPU = percent(siodSamples, \.clientCPU)
        row.siodServerCPU = percent(siodSamples, \.serverCPU)
        row.pythonCPU = percent(pythonSamples, \.clientCPU)
        row.pythonServerCPU = percent(pythonSamples, \.serverCPU)
        rows.append(row)
        printRow(row)
    }
}

/// Runs one python-socketio scenario and reads its JSON line.
func pythonRun(_ arguments: [String]) throws -> Sample {
    let serverCPU = cpuSeconds(server)
    let child = try Child(python, [pyScript] + arguments)
    let result = try child.readJSON()
    // The report comes before the client disconnects. After a polling run the Python process
    // sometimes outlives its own disconnect by one ping interval (25 s: its engine.io loops end
    // at once, then uvloop's shutdown waits); that wait is not measured, so it is not waited for.
    let exited = DispatchSemaphore(value: 0)
    DispatchQueue.global().async { child.process.waitUntilExit(); exited.signal() }
    if exited.wait(timeout: .now() + 2) == .timedOut {
        child.process.terminate()
        exited.wait()
    }
    let seconds = result["seconds"] as? Double ?? 0
    var sample = Sample(rate: result["rate"] as? Double ?? 0, clientCPU: result["cpu"] as? Double ?? 0, serverCPU: cpuSeconds(server) - serverCPU, seconds: seconds)
    sample.latencies = result["latencies"] as? [Double] ?? []
    for key in ["rss_per_socket", "idle_cpu"] { if let value = result[key] as? Double { sample.extra[key] = value } }
    return sample
}

let pythonLoop: String = {
    guard let child = try? Child(python, ["-c", "import uvloop; print('uvloop')"]), let line = try? child.readLine() else { return "asyncio" }
    return line
}()

// MARK: - Printing

func format(_ value: Double, _ unit: String) -> String {
    switch unit {
    case "/s": return value >= 10_000 ? String(format: "%.0fk", value / 1000) : String(format: "%.0f", value)
    case "µs": return String(format: "%.0f", value * 1e6)
    case "KiB": return String(format: "%.1f", value / 1024)
    case "%": return String(format: "%.1f", value)
    default: return String(format: "%.3g", value)
    }
}

func cell(_ spread: Spread?, _ unit: String) -> String {
    guard let spread else { return "—" }
    return "\(format(spread.median, unit)) [\(format(spread.min, unit))–\(format(spread.max, unit))]"
}

func cpuCell(_ client: Double?, _ server: Double?) -> String {
    guard let client else { return "—" }
    return String(format: "%.0f%%/%.0f%%", client, server ?? 0)
}

func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }

let widths = [44, 26, 26, 8, 13, 13]
func printLine(_ cells: [String]) { say(zip(cells, widths).map { pad($0, $1) }.joined(separator: " ")) }

func printRow(_ row: Row) {
    printLine([
        "\(row.figure) (\(row.unit))", cell(row.siod, row.unit), cell(row.python, row.unit),
        row.ratio.map { String(format: "%.1f×", $0) } ?? "—",
        cpuCell(row.siodCPU, row.siodServerCPU), cpuCell(row.pythonCPU, row.pythonServerCPU),
    ])
    if let note = row.note { say("    ↳ \(note)") }
}

say("siod-bench: \(reps) repetitions, median [min–max]; python-socketio AsyncClient on \(pythonLoop); server on 127.0.0.1:\(port)")
say("CPU: percent of one core while measuring, client/server (the server must stay below the client)")
say("siod: release build, --max-queued-notifications raised so that slow consumers are measured, not dropped\n")
printLine(["figure", "siod", "python-socketio", "ratio", "siod cpu", "python cpu"])

// MARK: - Scenarios

let siod = try SiodUnderTest(executable: siodPath)
let rate: (Sample) -> Double = { $0.rate }

for (size, label, full) in [(0, "20 B", 200_000), (200, "200 B", 200_000), (4096, "4 KiB", 40_000)] {
    measure([("inbound ws, \(label) events", "/s", true, rate)],
        siod: { try siod.inbound(url: url, server: server, n: count(full), size: size, subscribers: 1, transport: "websocket") },
        python: { try pythonRun(["inbound", url, String(count(full / 8)), String(size), "websocket"]) })
}
measure([("inbound ws, 20 B events, journal off", "/s", true, rate)],
    note: "journal {events: 0}: what keeping the last 10,000 events in memory costs the 20 B row",
    siod: { try siod.inbound(url: url, server: server, n: count(200_000), size: 0, subscribers: 1, transport: "websocket", extra: #","journal":{"events":0}"#) },
    python: nil)
measure([("inbound ws, 20 B events, disk journal", "/s", true, rate)],
    note: "journal {disk: true}: each event's row committed before it is delivered; compare with the 20 B row",
    siod: { try siod.inbound(url: url, server: server, n: count(200_000), size: 0, subscribers: 1, transport: "websocket", extra: #","journal":{"disk":true}"#) },
    python: nil)
measure([("inbound ws, raw limit: a NIO reader counting frames", "/s", true, rate)],
    note: "what the transport allows: no Socket.IO work, nothing delivered",
    siod: { try rawInbound(port: port, n: count(200_000)) }, python: nil)
measure([("inbound ws, 10 subscribers (per subscriber)", "/s", true, rate)],
    siod: { try siod.inbound(url: url, server: server, n: count(50_000), size: 0, subscribers: 10, transport: "websocket") }, python: nil)
measure([("inbound ws, Python consumer of siod", "/s", true, rate)], note: "python column: AsyncClient's own handler",
    siod: { try siod.inboundToPython(url: url, server: server, python: python, script: pyScript, n: count(100_000)) },
    python: { try pythonRun(["inbound", url, String(count(25_000)), "0", "websocket"]) })
measure([("outbound ws, pipelined emits", "/s", true, rate)],
    siod: { try siod.outbound(url: url, server: server, n: count(200_000)) },
    python: { try pythonRun(["outbound", url, String(count(50_000)), "websocket"]) })
measure([("outbound ws, durable emits pipelined (64 in flight)", "/s", true, rate)],
    note: "each on disk before it is answered, sent with an ack request, deleted when acked; compare with the pipelined row",
    siod: { try siod.outbound(url: url, server: server, n: count(100_000), durable: true) }, python: nil)
measure([("outbound, siodctl emit in a shell loop", "/s", true, rate)], reps: min(reps, 3),
    siod: { try siod.outboundThroughSiodctl(url: url, server: server, siodctl: siodctlPath, n: smoke ? 3 : 200) }, python: nil)

let latencyFigures: (String) -> [(name: String, unit: String, higherIsBetter: Bool, pick: (Sample) -> Double)] = { prefix in [
    ("\(prefix) p50", "µs", false, { quantile($0.latencies, 0.5) }),
    ("\(prefix) p99", "µs", false, { quantile($0.latencies, 0.99) }),
    ("\(prefix) p99.9", "µs", false, { quantile($0.latencies, 0.999) }),
] }
measure(latencyFigures("ack RTT ws, sequential"),
    siod: { try siod.ack(url: url, server: server, n: count(20_000), inflight: 1, transport: "websocket") },
    python: { try pythonRun(["ack", url, String(count(5_000)), "1", "websocket"]) })
measure(Array(latencyFigures("ack RTT ws, floor: a relay doing no work").prefix(2)),
    note: "client → Unix socket → relay → TCP → server and back: siod's own cost is its row minus this",
    siod: { try floorRoundTrips(binary: binaries.appendingPathComponent("siod-bench").path, port: port, n: count(20_000)) }, python: nil)
measure([("ack ws, 64 in flight", "/s", true, rate)] + latencyFigures("ack RTT ws, 64 in flight").prefix(2),
    siod: { try siod.ack(url: url, server: server, n: count(100_000), inflight: 64, transport: "websocket") },
    python: { try pythonRun(["ack", url, String(count(20_000)), "64", "websocket"]) })

measure([("inbound polling, 20 B events", "/s", true, rate)], note: "16 packets per poll: python-engineio's client takes no more",
    siod: { try siod.inbound(url: url, server: server, n: count(100_000), size: 0, subscribers: 1, transport: "polling") },
    python: { try pythonRun(["inbound", url, String(count(20_000)), "0", "polling"]) })
measure(latencyFigures("ack RTT polling, sequential").prefix(2).map { $0 },
    siod: { try siod.ack(url: url, server: server, n: count(2_000), inflight: 1, transport: "polling") },
    python: { try pythonRun(["ack", url, String(count(1_000)), "1", "polling"]) })
siod.stop()

// Scale: a fresh siod per repetition, so its memory starts from the same baseline.
for (sockets, scaleReps, idle) in [(smoke ? 20 : 1_000, min(reps, 3), 0.0), (smoke ? 50 : 10_000, 1, idleSeconds)] {
    var figures: [(name: String, unit: String, higherIsBetter: Bool, pick: (Sample) -> Double)] = [
        ("\(sockets) sockets: connects", "/s", true, rate),
        ("\(sockets) sockets: RSS per socket", "KiB", false, { $0.extra["rssPerSocket"] ?? $0.extra["rss_per_socket"] ?? .nan }),
    ]
    if idle > 0 { figures.append(("\(sockets) sockets: idle CPU over \(String(format: "%g", idle)) s", "%", false, { 100 * ($0.extra["idleCPU"] ?? $0.extra["idle_cpu"] ?? .nan) })) }
    measure(figures, note: scaleReps < reps ? "\(scaleReps) repetition(s)" : nil, reps: scaleReps,
        siod: {
            let fresh = try SiodUnderTest(executable: siodPath)
            defer { fresh.stop() }
            return try fresh.scale(url: url, n: sockets, idle: idle)
        },
        python: { try pythonRun(["scale", url, String(sockets), String(idle)]) })
}

serverChild.stop()
say(String(format: "\nwhole run: %.0f s", now() - runStarted))

if let jsonPath {
    struct Report: Codable {
        var date: String
        var repetitions: Int
        var pythonLoop: String
        var rows: [Row]
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let report = Report(date: ISO8601DateFormatter().string(from: Date()), repetitions: reps, pythonLoop: pythonLoop, rows: rows)
    try encoder.encode(report).write(to: URL(fileURLWithPath: jsonPath))
    say("JSON: \(jsonPath)")
}
if failed { exit(1) }
