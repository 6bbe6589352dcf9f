import Foundation
import NIOConcurrencyHelpers

/// A Python fixture server on 127.0.0.1, started by a test: by default python-socketio
/// (`Fixtures/sio_server.py`); any fixture script that prints `PORT <n>` once it listens and
/// exits when its standard input closes fits.
///
/// The Python with the peers comes from `SIOD_TEST_PYTHON` (set by `scripts/test`). Outside CI a
/// missing interpreter skips these tests with a loud message; under `CI=true` they run and fail.
public final class PythonServer: @unchecked Sendable {
    public static let python = ProcessInfo.processInfo.environment["SIOD_TEST_PYTHON"]
    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Whether the integration tests run: with the peers, or under CI (where a missing peer fails).
    public static var available: Bool {
        if let python, FileManager.default.isExecutableFile(atPath: python) { return true }
        if !isCI {
            FileHandle.standardError.write(Data("""
            ⚠️  SKIPPING python-socketio integration tests: SIOD_TEST_PYTHON is not set to a Python \
            with python-socketio. Run scripts/test (it creates .venv) to run them.\n
            """.utf8))
        }
        return isCI
    }

    private var process = Process()
    private var stdin = Pipe()
    private var stdout = Pipe()
    public let script: String
    public let arguments: [String]
    public private(set) var port: Int = 0

    /// Starts `Fixtures/<script>.py` with `arguments` and waits (at most 20 s) for it to listen.
    public init(_ arguments: [String] = [], script: String = "sio_server", port: Int = 0) async throws {
        self.script = script
        self.arguments = arguments
        try await self.start(port: port)
    }

    private func start(port: Int) async throws {
        guard let python = Self.python else { throw ServerError.noPython }
        let script = try Self.fixture(self.script + ".py")
        let process = Process()
        let stdin = Pipe()
        let stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", script.path, "--port", String(port)] + self.arguments
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        self.process = process
        self.stdin = stdin
        // Kept for the server's life: the pipe's descriptor must not close right after
        // `readPort` clears its readability handler (libdispatch cancels that source
        // asynchronously, and crashed in `_dispatch_event_loop_drain` when the number was
        // reused before it had).
        self.stdout = stdout
        self.port = try await Self.readPort(from: stdout.fileHandleForReading)
    }

    public var url: String { "http://127.0.0.1:\(self.port)" }

    /// Waits for `PORT <n>` without blocking a thread of the cooperative pool: the pipe is read
    /// by a thread of its own (``chunks(of:)``); the 20 s bound ends a wait for a server that
    /// died while another test's child still holds the pipe open.
    private static func readPort(from handle: FileHandle) async throws -> Int {
        let chunks = TestSupport.chunks(of: handle)
        do {
            return try await withDeadline(.seconds(20)) {
                var buffer = Data()
                for await chunk in chunks {
                    buffer.append(chunk)
                    if let text = String(data: buffer, encoding: .utf8),
                       let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }),
                       let port = Int(line.dropFirst(5)) {
                        return port
                    }
                }
                throw ServerError.exited
            }
        } catch is DeadlinePassed {
            throw ServerError.timedOut
        }
    }

    public enum ServerError: Error, CustomStringConvertible {
        case exited, timedOut, noPython, noFixture(String)

        public var description: String {
            switch self {
            case .exited: "the fixture server exited before it listened"
            case .timedOut: "the fixture server did not listen within 20 s"
            case .noPython: "SIOD_TEST_PYTHON must name a Python with python-socketio (scripts/test sets it)"
            case .noFixture(let name): "no fixture \(name)"
            }
        }
    }

    /// A file of `Fixtures/` (scripts, certificates).
    public static func fixture(_ name: String) throws -> URL {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard let url = Bundle.module.url(forResource: parts[0], withExtension: parts.count > 1 ? parts[1] : nil, subdirectory: "Fixtures") else {
            throw ServerError.noFixture(name)
        }
        return url
    }

    /// Writes one line to the fixture's standard input (fault_proxy.py's commands: `cut`,
    /// `reset`, `latency 50 10`, `blackhole on`, …).
    public func command(_ line: String) {
        try? self.stdin.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// SIGSTOP: the server stops answering, its sockets stay open.
    public func suspend() { kill(self.process.processIdentifier, SIGSTOP) }
    /// SIGCONT.
    public func resume() { kill(self.process.processIdentifier, SIGCONT) }

    /// Kills the server (SIGKILL: its connections drop at once, as in a crash). Does not wait:
    /// Foundation reaps the process, and nothing here blocks a thread of the cooperative pool.
    public func stop() {
        try? self.stdin.fileHandleForWriting.close()
        guard self.process.isRunning else { return }
        kill(self.process.processIdentifier, SIGKILL)
    }

    /// Kills the server and starts it again on the same port, with the same arguments, once
    /// the old process has exited (so the port is free).
    public func restart() async throws {
        let process = self.process
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = NIOLockedValueBox(false)
            process.terminationHandler = { _ in
                if !exited.withLockedValue({ (value: inout Bool) -> Bool in defer { value = true }; return value }) { continuation.resume() }
            }
            self.stop()
            if !process.isRunning, !exited.withLockedValue({ (value: inout Bool) -> Bool in defer { value = true }; return value }) { continuation.resume() }
        }
        try await self.start(port: self.port)
    }

    deinit { self.stop() }
}
