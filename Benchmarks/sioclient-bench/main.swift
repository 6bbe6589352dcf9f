// Benchmarks of the live client (SioClient) against a bare loopback server
// (Benchmarks/fixtures/firehose_server.py): events per second one socket receives from a
// firehose, over WebSocket and polling; memory per connected socket and connect rate at N
// sockets. Not a test: it prints numbers.
//
//   swift run -c release sioclient-bench [--sockets 1000] [--events 200000] [--python .venv/bin/python]
import Foundation
import SioClient
import SioJSON
import SioProtocol

// MARK: - Arguments

func argument(_ name: String, default value: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return value }
    return arguments[index + 1]
}

let quick = CommandLine.arguments.contains("--quick")
let socketCount = Int(argument("--sockets", default: quick ? "20" : "1000"))!
let eventCount = Int(argument("--events", default: quick ? "2000" : "200000"))!
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let python = argument("--python", default: packageRoot.appendingPathComponent(".venv/bin/python").path)

// MARK: - The fixture server

/// Starts the firehose server and returns its process and port.
func startServer() throws -> (Process, Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-u", packageRoot.appendingPathComponent("Benchmarks/fixtures/firehose_server.py").path]
    let output = Pipe()
    process.standardOutput = output
    process.standardInput = Pipe()
    try process.run()
    var buffer = Data()
    while true {
        let chunk = output.fileHandleForReading.availableData
        guard !chunk.isEmpty else { throw BenchError.serverDidNotStart }
        buffer.append(chunk)
        if let text = String(data: buffer, encoding: .utf8), let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }) {
            return (process, Int(line.dropFirst(5))!)
        }
    }
}

enum BenchError: Error { case serverDidNotStart, streamEnded }

/// Resident set size of this process in bytes (Linux `/proc/self/status`).
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    return kilobytes * 1024
}

/// Runs `body` with a running Manager.
func withManager<T: Sendable>(_ url: String, _ options: ManagerOptions, _ body: @Sendable (Manager) async throws -> T) async throws -> T {
    let manager = try Manager(url: url, options: options)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await manager.run(); return nil }
        let result = try await body(manager)
        manager.shutdown()
        for try await _ in group {}
        return result
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

// MARK: - Firehose

func firehose(url: String, transport: TransportKind, events: Int) async throws -> Double {
    var options = ManagerOptions()
    options.transports = [transport]
    options.upgrade = false
    return try await withManager(url, options) { manager in
        let socket = try manager.socket()
        let stream = socket.events
        socket.connect()
        var iterator = stream.makeAsyncIterator()
        while let event = await iterator.next() {
            if case .connect = event { break }
        }
        let started = ContinuousClock.now
        async let acked = socket.emitWithAck("firehose", [.number(JSONNumber(events))], timeout: .seconds(600))
        var received = 0
        while received < events {
            guard let event = await iterator.next() else { throw BenchError.streamEnded }
            if case .event = event { received += 1 }
        }
        let elapsed = ContinuousClock.now - started
        _ = try await acked
        return Double(events) / seconds(elapsed)
    }
}

// MARK: - Many sockets

func manySockets(url: String, count: Int) async throws -> (bytesPerSocket: Double, connectsPerSecond: Double) {
    var options = ManagerOptions()
    options.transports = [.websocket]
    let managers = try (0..<count).map { _ in try Manager(url: url, options: options) }
    let before = residentBytes()
    let started = ContinuousClock.now
    return try await withThrowingTaskGroup(of: Void.self) { group in
        for manager in managers {
            group.addTask { try await manager.run() }
        }
        // Connect every socket and wait for each `connect` (the waiting tasks end there).
        try await withThrowingTaskGroup(of: Void.self) { connecting in
            for manager in managers {
                let socket = try manager.socket()
                let stream = socket.events
                socket.connect()
                connecting.addTask {
                    for await event in stream {
                        if case .connect = event { return }
                    }
                    throw BenchError.streamEnded
                }
            }
            try await connecting.waitForAll()
        }
        let connectTime = ContinuousClock.now - started
        let after = residentBytes()
        for manager in managers { manager.shutdown() }
        try await group.waitForAll()
        return (Double(after - before) / Double(count), Double(count) / seconds(connectTime))
    }
}

// MARK: - Run

let (server, port) = try startServer()
defer { server.terminate() }
let url = "http://127.0.0.1:\(port)"
print("sioclient-bench against Benchmarks/fixtures/firehose_server.py (python aiohttp, loopback)")
let webSocketRate = try await firehose(url: url, transport: .websocket, events: eventCount)
print("firehose over websocket: \(eventCount) events, \(Int(webSocketRate)) events/s (one frame per event)")
let pollingRate = try await firehose(url: url, transport: .polling, events: eventCount)
print("firehose over polling:   \(eventCount) events, \(Int(pollingRate)) events/s (up to 10,000 packets per GET)")
let (bytesPerSocket, connectsPerSecond) = try await manySockets(url: url, count: socketCount)
print("\(socketCount) connected websocket sockets: \(Int(bytesPerSocket / 1024)) KiB RSS per socket, \(Int(connectsPerSecond)) connects/s")
server.terminate()
