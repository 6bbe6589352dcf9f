import Foundation
import SioJSON
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The executables built with the tests (dependencies of this target), next to the bundle.
enum Built {
    static let directory: String = {
        let bundle = Bundle.main.executablePath ?? CommandLine.arguments[0]
        return (bundle as NSString).deletingLastPathComponent
    }()

    static var siod: String { directory + "/siod" }
    static var siodctl: String { directory + "/siodctl" }
}

/// A temporary directory removed when the value goes away.
final class Scratch: @unchecked Sendable {
    let path: String

    init() {
        // Short: a Unix socket path must fit in 108 bytes.
        self.path = "/tmp/siod-t-" + String(UUID().uuidString.prefix(8))
        try? FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: self.path) }
}

/// A siod process on a socket in a scratch directory, its stderr captured.
final class SiodProcess: @unchecked Sendable {
    let process = Process()
    let socket: String
    let stateDirectory: String
    private let errorFile: String

    /// Starts siod and waits (at most 20 s) until its socket answers `daemon.ping`.
    init(
        in scratch: Scratch, name: String = "siod", arguments: [String] = [], config: String? = nil,
        socket: String? = nil, stateDirectory: String? = nil, waitReady: Bool = true,
        environment extra: [String: String] = [:], launcher: [String] = [], journalStream: Bool = false
    ) async throws {
        self.socket = socket ?? scratch.path + "/siod.sock"
        self.stateDirectory = stateDirectory ?? scratch.path + "/state"
        self.errorFile = scratch.path + "/\(name).err"
        _ = FileManager.default.createFile(atPath: self.errorFile, contents: nil)
        // Ready when siod says READY=1 on a notify socket of our own (unless the test listens).
        let readiness = waitReady && extra["NOTIFY_SOCKET"] == nil ? try NotifySocket(path: scratch.path + "/\(name).notify") : nil
        // `launcher`: a command that runs siod (systemd-socket-activate …).
        let command = launcher + [Built.siod, "--socket", self.socket, "--state-dir", self.stateDirectory, "--config", config ?? "/dev/null"]
        self.process.executableURL = URL(fileURLWithPath: command[0])
        self.process.arguments = Array(command.dropFirst()) + arguments
        var environment = ProcessInfo.processInfo.environment
        for key in ["JOURNAL_STREAM", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            environment[key] = nil
        }
        for (key, value) in extra { environment[key] = value }
        if let readiness { environment["NOTIFY_SOCKET"] = readiness.path }
        if journalStream {
            // Name siod's stderr as journald's stream, as systemd does for a service.
            var info = stat()
            guard stat(self.errorFile, &info) == 0 else { throw HarnessError("stat \(self.errorFile)") }
            environment["JOURNAL_STREAM"] = "\(info.st_dev):\(info.st_ino)"
        }
        self.process.environment = environment
        self.process.standardError = FileHandle(forWritingAtPath: self.errorFile)
        self.process.standardOutput = FileHandle.nullDevice
        self.process.standardInput = FileHandle.nullDevice
        let exit = self.exit
        self.process.terminationHandler = { exit.fulfil($0.terminationStatus) }
        try self.process.run()
        if let readiness {
            let outcome = try readiness.receive { $0 == "READY=1" || $0.hasPrefix("ERRNO=") }
            if outcome.line != "READY=1" { throw HarnessError("siod failed to start: \(self.log)") }
        }
    }

    /// The exit status, from the process's termination handler.
    private let exit = OneShot<Int32>()

    /// What siod wrote on stderr so far.
    var log: String { (try? String(contentsOfFile: self.errorFile, encoding: .utf8)) ?? "" }

    /// Returns once siod's stderr holds `count` lines containing `text` (within `bound`).
    func waitForLog(_ text: String, count: Int = 1, within bound: Duration = .seconds(20)) throws {
        try waitUntil(self.errorFile, changes: UInt32(IN_MODIFY), within: bound, "\(count) log lines with \(text)") {
            self.log.split(separator: "\n").count { $0.contains(text) } >= count
        }
    }

    /// Sends `signal` and waits (at most 15 s) for the exit; returns the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) async throws -> Int32 {
        kill(self.process.processIdentifier, signal)
        return try await self.waitForExit()
    }

    /// The exit status, within 15 s.
    func waitForExit() async throws -> Int32 {
        guard let status = await self.exit.value(within: .seconds(15)) else { throw HarnessError("siod did not exit within 15 s") }
        return status
    }

    deinit {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A blocking JSON-RPC client with a receive timeout (every wait is bounded). siod runs in
/// another process, so blocking here starves nothing of it.
final class RPCLineClient: @unchecked Sendable {
    private let stream: UnixStream
    var fd: Int32 { self.stream.fd }
    private var buffer: [UInt8] = []
    /// Where the unread part of `buffer` starts (lines are not removed one by one: under a
    /// firehose that copied the whole buffer for every line).
    private var start = 0
    private var nextID = 1
    /// Notifications read while waiting for a response, in order.
    private(set) var notifications: [JSONObject] = []

    init(path: String, timeoutSeconds: Int = 10, receiveBuffer: Int32? = nil) throws {
        self.stream = try UnixStream(path: path, timeoutSeconds: timeoutSeconds, receiveBuffer: receiveBuffer)
    }

    deinit { self.stream.close() }

    /// Connects once `path` exists, within `bound`: for a socket another process creates and
    /// announces to nobody (systemd-socket-activate), the creation is the event, seen through
    /// inotify on its directory.
    static func connect(path: String, within bound: Duration) throws -> RPCLineClient {
        try waitForFile(path, within: bound)
        return try RPCLineClient(path: path)
    }

    func send(_ text: String) { self.stream.send(text) }

    func shutdownWrite() { self.stream.shutdownWrite() }

    /// The next line, or nil at end of stream; throws when nothing comes within the timeout.
    func readLine() throws -> String? {
        while true {
            if let newline = self.buffer[self.start...].firstIndex(of: 0x0A) {
                let line = String(decoding: self.buffer[self.start..<newline], as: UTF8.self)
                self.start = newline + 1
                return line
            }
            self.buffer.removeSubrange(..<self.start)
            self.start = 0
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw HarnessError("no line within the timeout (errno \(errno))")
            }
            if count == 0 { return nil }
            self.buffer += chunk[..<count]
        }
    }

    /// The next message as an object.
    func readMessage() throws -> JSONObject {
        guard let line = try self.readLine() else { throw HarnessError("siod closed the connection") }
        guard case .object(let object) = try JSON(parsing: Array(line.utf8)) else { throw HarnessError("not an object: \(line)") }
        return object
    }

    /// Sends a request and returns its whole response object (notifications that arrive first
    /// are kept in ``notifications``).
    func request(_ method: String, _ params: JSON? = nil) throws -> JSONObject {
        let id = self.nextID
        self.nextID += 1
        var request: JSONObject = ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method)]
        if let params { request["params"] = params }
        self.send(JSON.object(request).serialized + "\n")
        while true {
            let message: JSONObject
            do { message = try self.readMessage() } catch { throw HarnessError("waiting for the response to \(method): \(error)") }
            if message["id"] == .number(JSONNumber(id)) { return message }
            self.notifications.append(message)
        }
    }

    /// The result of a call; throws the error object's text if it failed.
    @discardableResult
    func call(_ method: String, _ params: JSON? = nil) throws -> JSON {
        let response = try self.request(method, params)
        if let error = response["error"] { throw HarnessError("\(method) failed: \(error.serialized)") }
        return response["result"] ?? .null
    }

    /// The error `data.type` of a call that must fail (nil if it succeeded).
    func errorType(_ method: String, _ params: JSON? = nil) throws -> String? {
        try self.request(method, params)["error"]?.objectValue?["data"]?.objectValue?["type"]?.stringValue
    }

    /// The response with `id` to a request sent with ``send(_:)`` (kept or new).
    func response(id: JSON) throws -> JSONObject {
        if let index = self.notifications.firstIndex(where: { $0["id"] == id }) { return self.notifications.remove(at: index) }
        while true {
            let message = try self.readMessage()
            if message["id"] == id { return message }
            self.notifications.append(message)
        }
    }

    /// Disconnects and connects socket `name`; afterwards only notifications of the new
    /// connection are kept (a socket's notifications come in order, so everything before its
    /// `socket.disconnect` is from the old one).
    func reconnect(_ name: String) throws {
        try self.call("socket.disconnect", ["socket": .string(name)])
        _ = try self.notification("socket.disconnect") { $0["socket"] == .string(name) && $0["reason"] == "io client disconnect" }
        self.forgetNotifications()
        try self.call("socket.connect", ["socket": .string(name)])
    }

    /// Drops the notifications kept so far.
    func forgetNotifications() { self.notifications.removeAll() }

    /// Subscribes to socket `name`'s lifecycle, opens it on `url` (websocket only, with
    /// `extra` options) and returns once it is connected.
    func openConnected(_ name: String, url: String, _ extra: JSONObject = [:]) throws {
        var params: JSONObject = ["socket": .string(name), "url": .string(url), "transports": ["websocket"]]
        params.members += extra.members
        try self.call("events.subscribe", ["sockets": [.string(name)], "events": []])
        try self.call("socket.open", .object(params))
        try self.waitConnected(name)
    }

    /// Returns once socket `name` is connected (this client must be subscribed to it).
    func waitConnected(_ name: String) throws {
        if try self.call("socket.status", ["socket": .string(name)]).objectValue?["connected"] == true { return }
        _ = try self.notification("socket.connect") { $0["socket"] == .string(name) }
    }

    /// Waits for the first notification (kept or new) that `matches`, and removes it.
    func notification(_ method: String, where matches: (JSONObject) -> Bool = { _ in true }) throws -> JSONObject {
        if let index = self.notifications.firstIndex(where: { $0["method"]?.stringValue == method && matches(($0["params"]?.objectValue) ?? [:]) }) {
            return self.notifications.remove(at: index)["params"]?.objectValue ?? [:]
        }
        while true {
            let message: JSONObject
            do { message = try self.readMessage() } catch { throw HarnessError("waiting for \(method): \(error)") }
            if message["method"]?.stringValue == method, matches(message["params"]?.objectValue ?? [:]) {
                return message["params"]?.objectValue ?? [:]
            }
            self.notifications.append(message)
        }
    }
}

/// Returns once `path` exists (created in its directory), or throws after `bound`.
func waitForFile(_ path: String, within bound: Duration) throws {
    try waitUntil((path as NSString).deletingLastPathComponent, changes: UInt32(IN_CREATE | IN_MOVED_TO), within: bound, "\(path) to appear") {
        FileManager.default.fileExists(atPath: path)
    }
}

/// Returns once `watched` (a file or directory) has changed, as inotify `mask` says, so that
/// `done` holds; throws after `bound`. Watching starts before the first look, so a change in
/// between is not missed.
func waitUntil(_ watched: String, changes mask: UInt32, within bound: Duration, _ what: String, _ done: () -> Bool) throws {
    let inotify = inotify_init1(Int32(IN_CLOEXEC))
    guard inotify >= 0 else { throw HarnessError("inotify_init1: errno \(errno)") }
    defer { close(inotify) }
    guard inotify_add_watch(inotify, watched, mask) >= 0 else {
        throw HarnessError("inotify_add_watch \(watched): errno \(errno)")
    }
    let deadline = ContinuousClock.now + bound
    while !done() {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { throw HarnessError("waited \(bound) for \(what)") }
        var pending = pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
        if poll(&pending, 1, max(milliseconds, 1)) > 0 {
            var events = [UInt8](repeating: 0, count: 4096)
            _ = read(inotify, &events, events.count)
        }
    }
}

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket: @unchecked Sendable {
    let path: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        self.fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let fd = self.fd
        let bound = withUnixAddress(path) { bind(fd, $0, $1) }
        guard bound == 0 else { throw HarnessError("bind \(path): errno \(errno)") }
    }

    deinit { close(self.fd) }

    /// The next message (its `KEY=VALUE` lines); throws after 10 s without one.
    func receive() throws -> [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(self.fd, &buffer, buffer.count, 0)
        guard count >= 0 else { throw HarnessError("no notify message within 10 s") }
        return String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Lines received but not yet consumed by ``receive(until:)``.
    private var pending: [String] = []

    /// Consumes lines (of one or more messages) until one `matches`, within 15 s; returns that
    /// line and the lines skipped before it.
    func receive(until matches: (String) -> Bool) throws -> (line: String, before: [String]) {
        var before: [String] = []
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if self.pending.isEmpty { self.pending = try self.receive() }
            let line = self.pending.removeFirst()
            if matches(line) { return (line, before) }
            before.append(line)
        }
        throw HarnessError("no matching notify line within 15 s; got \(before.suffix(10))")
    }
}
