// Blocking line I/O on siod's socket, child processes, /proc readings and statistics.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A connection to siod's Unix socket with a buffered line reader. Used by one thread for
/// reading and at most one other for writing.
final class LineConnection: @unchecked Sendable {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0

    init(path: String) throws {
        self.fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            close(self.fd)
            throw BenchError("connect \(path): errno \(errno)")
        }
    }

    deinit { close(self.fd) }

    func send(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = Glibc.send(self.fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return }
                offset += sent
            }
        }
    }

    /// Calls `body` with each line (without its newline) until it returns false; throws at
    /// the end of the stream.
    func readLines(_ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) throws {
        while true {
            while let newline = self.newline() {
                let keepGoing = try self.buffer.withUnsafeBufferPointer { all in
                    try body(UnsafeBufferPointer(rebasing: all[self.start..<newline]))
                }
                self.start = newline + 1
                if !keepGoing { return }
            }
            if self.start > 0 {
                self.buffer.withUnsafeMutableBufferPointer { all in
                    _ = memmove(all.baseAddress!, all.baseAddress! + self.start, self.end - self.start)
                }
                self.end -= self.start
                self.start = 0
            }
            if self.end == self.buffer.count { self.buffer += [UInt8](repeating: 0, count: self.buffer.count) }
            let count = self.buffer.withUnsafeMutableBufferPointer { recv(self.fd, $0.baseAddress! + self.end, $0.count - self.end, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw BenchError("siod closed the connection") }
            self.end += count
        }
    }

    private func newline() -> Int? {
        guard self.start < self.end else { return nil }
        return self.buffer.withUnsafeBufferPointer { all in
            memchr(all.baseAddress! + self.start, 0x0A, self.end - self.start).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - all.baseAddress! }
        }
    }

    /// The next line as a string.
    func readLine() throws -> String {
        var line = ""
        try self.readLines { bytes in
            line = String(decoding: bytes, as: UTF8.self)
            return false
        }
        return line
    }

    /// Sends a request and returns its response line, skipping notifications.
    func call(_ method: String, _ params: String = "{}", id: Int = 0) throws -> String {
        self.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"# + "\n")
        let marker = Array(#""id":\#(id)"#.utf8)
        var response = ""
        try self.readLines { line in
            guard line.contains(marker) else { return true }
            response = String(decoding: line, as: UTF8.self)
            return false
        }
        if response.contains(#""error":"#) { throw BenchError("\(method) failed: \(response)") }
        return response
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The offset of the first occurrence of `needle` (memchr for its first byte, then memcmp).
    func firstOffset(of needle: [UInt8]) -> Int? {
        guard let base = self.baseAddress, let first = needle.first, self.count >= needle.count else { return nil }
        var offset = 0
        while offset <= self.count - needle.count {
            guard let hit = memchr(base + offset, Int32(first), self.count - needle.count + 1 - offset) else { return nil }
            let at = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
            if needle.withUnsafeBufferPointer({ memcmp(base + at, $0.baseAddress!, needle.count) }) == 0 { return at }
            offset = at + 1
        }
        return nil
    }

    func contains(_ needle: [UInt8]) -> Bool { self.firstOffset(of: needle) != nil }
}

// MARK: - Processes

/// A child process whose stdout is read line by line.
final class Child: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private var pending = Data()

    /// Held open for a child that exits when its input ends (`keepStdinOpen`).
    private let input = Pipe()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], keepStdinOpen: Bool = false) throws {
        self.process.executableURL = URL(fileURLWithPath: executable)
        self.process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        self.process.environment = merged
        self.process.standardOutput = self.output
        self.process.standardInput = keepStdinOpen ? self.input : FileHandle.nullDevice
        try self.process.run()
    }

    var pid: Int32 { self.process.processIdentifier }

    /// The next line the child prints; throws at its end.
    func readLine() throws -> String {
        while true {
            if let newline = self.pending.firstIndex(of: 0x0A) {
                let line = String(decoding: self.pending[self.pending.startIndex..<newline], as: UTF8.self)
                self.pending.removeSubrange(self.pending.startIndex...newline)
                return line
            }
            let chunk = self.output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchError("\(self.process.executableURL?.lastPathComponent ?? "child") exited") }
            self.pending.append(chunk)
        }
    }

    /// The child's one JSON line, as an object.
    func readJSON() throws -> [String: Any] {
        let line = try self.readLine()
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw BenchError("not a JSON object: \(line)")
        }
        return object
    }

    func stop() {
        if self.process.isRunning { kill(self.pid, SIGTERM) }
    }

    deinit { if self.process.isRunning { kill(self.pid, SIGKILL) } }
}

/// CPU seconds (user + system) a process has used, from /proc/PID/stat.
func cpuSeconds(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state(0) … utime(11) stime(12).
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Resident memory of a process in bytes, from /proc/PID/status.
func residentBytes(_ pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
    return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
}

/// Raises this process's open-file limit to its hard limit (children inherit it).
func raiseFileLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

// MARK: - Statistics

/// The value at quantile `q` (0…1) of sorted values, nearest rank.
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// One figure over repetitions: median, min, max.
struct Spread: Codable {
    var median: Double
    var min: Double
    var max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        self.median = sorted.isEmpty ? .nan : (sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        self.min = sorted.first ?? .nan
        self.max = sorted.last ?? .nan
    }
}
