#if canImport(Glibc)
import Glibc
#endif
import NIOPosix
import Testing
import TestSupport

/// Threads for the tests' blocking socket calls, so they never starve Swift's cooperative
/// pool (two threads on a two-core runner), which runs the server under test.
let blockingPool: NIOThreadPool = {
    let pool = NIOThreadPool(numberOfThreads: 32)
    pool.start()
    return pool
}()

/// A blocking POSIX client with a receive timeout, so every wait in the tests is bounded.
final class TestClient: @unchecked Sendable {
    private let stream: UnixStream
    var fd: CInt { self.stream.fd }
    private var pending: [UInt8] = []

    init(path: String, timeoutSeconds: Int = 10, receiveBuffer: Int32? = nil) throws {
        self.stream = try UnixStream(path: path, timeoutSeconds: timeoutSeconds, receiveBuffer: receiveBuffer)
    }

    deinit { self.stream.close() }

    func send(_ text: String) { self.stream.send(text) }

    func shutdownWrite() { self.stream.shutdownWrite() }

    /// The next line without `\n`, or `nil` at EOF. Throws on timeout.
    func readLine() async throws -> String? {
        try await blockingPool.runIfActive { try self.blockingReadLine() }
    }

    /// Every line until the server closes.
    func readToEOF() async throws -> [String] {
        try await blockingPool.runIfActive {
            var lines: [String] = []
            while let line = try self.blockingReadLine() { lines.append(line) }
            return lines
        }
    }

    private func blockingReadLine() throws -> String? {
        while true {
            if let newline = self.pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: self.pending[..<newline], as: UTF8.self)
                self.pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return nil }
            guard count > 0 else { throw TestError("recv: errno \(errno) (timeout?)") }
            self.pending += chunk[..<count]
        }
    }

}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory under /tmp (socket paths must be short).
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/rpct.XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return path
}

/// Removes a test directory and the files in it (no subprocess: see ``runProcess``).
func removeTree(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            var info = stat()
            let child = path + "/" + name
            if lstat(child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { removeTree(child) } else { unlink(child) }
        }
        closedir(directory)
    }
    rmdir(path)
}

/// Runs a program with `input` on stdin; returns its stdout and stderr. Only the serialized
/// listen suite spawns, since a child briefly holds every descriptor open between fork and exec.
@discardableResult
func runProcess(_ executable: String, _ arguments: [String], input: String = "") async throws -> String {
    try await blockingPool.runIfActive { try blockingRunProcess(executable, arguments, input: input) }
}

private func blockingRunProcess(_ executable: String, _ arguments: [String], input: String) throws -> String {
    var inPipe: [Int32] = [0, 0]
    var outPipe: [Int32] = [0, 0]
    // Close-on-exec, so no other test's child holds these ends open (dup2 clears it on 0–2).
    pipe(&inPipe)
    pipe(&outPipe)
    for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 2)
    posix_spawn_file_actions_addclose(&actions, inPipe[1])
    posix_spawn_file_actions_addclose(&actions, outPipe[0])
    var pid: pid_t = 0
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    posix_spawn_file_actions_destroy(&actions)
    close(inPipe[0])
    close(outPipe[1])
    guard spawned == 0 else { throw TestError("spawn \(executable): \(spawned)") }
    let bytes = Array(input.utf8)
    _ = bytes.withUnsafeBytes { write(inPipe[1], $0.baseAddress, $0.count) }
    close(inPipe[1])
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(outPipe[0], $0.baseAddress, $0.count) }
        if count <= 0 { break }
        output += chunk[..<count]
    }
    close(outPipe[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return String(decoding: output, as: UTF8.self)
}
