#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing

@testable import Systemd

@Suite("ListenFDs.choose")
struct ListenFDsChooserTests {
    @Test func none_givesNil() {
        #expect(ListenFDs.choose([]) == nil)
    }

    @Test func onlyOne_isChosenWhateverItsName() {
        #expect(ListenFDs.choose([ListenFD(fd: 3, name: "unknown")]) == ListenFD(fd: 3, name: "unknown"))
    }

    @Test func rpc_isChosenAmongSeveral() {
        let fds = [ListenFD(fd: 3, name: "metrics"), ListenFD(fd: 4, name: "rpc"), ListenFD(fd: 5, name: "rpc")]
        #expect(ListenFDs.choose(fds) == ListenFD(fd: 4, name: "rpc"))
    }

    @Test func severalWithoutRpc_giveNil() {
        #expect(ListenFDs.choose([ListenFD(fd: 3, name: "a"), ListenFD(fd: 4, name: "b")]) == nil)
    }

    @Test func otherName_canBeAsked() {
        let fds = [ListenFD(fd: 3, name: "rpc"), ListenFD(fd: 4, name: "admin")]
        #expect(ListenFDs.choose(fds, named: "admin") == ListenFD(fd: 4, name: "admin"))
    }
}

/// The probe executable built next to the test bundle, if it was built.
private let probePath: String? = {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    let exe = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = exe.lastIndex(of: "/") else { return nil }
    let path = String(exe[..<slash]) + "/systemd-listen-fds-probe"
    return access(path, X_OK) == 0 ? path : nil
}()

private let socketActivate = "/usr/bin/systemd-socket-activate"
private let runsUnderCI = getenv("CI").map { String(cString: $0) } == "true"

extension ProcessEnvironmentTests {
    @Suite("ListenFDs under systemd-socket-activate")
    struct ListenFDsActivationTests {
        @Test(
            // Under CI it always runs (scripts/setup installs systemd): a missing tool fails below.
            .enabled(if: runsUnderCI || access(socketActivate, X_OK) == 0, "SKIPPED: /usr/bin/systemd-socket-activate is not installed"),
            .enabled(if: runsUnderCI || probePath != nil, "SKIPPED: systemd-listen-fds-probe was not built next to the tests")
        )
        func socketActivated_takesNamedFdAndUnsetsEnvironment() throws {
            try #require(access(socketActivate, X_OK) == 0, "systemd-socket-activate is missing (scripts/setup installs systemd)")
            try #require(probePath != nil, "systemd-listen-fds-probe was not built next to the tests")
            let directory = makeTemporaryDirectory()
            let socketPath = directory + "/rpc.sock"
            defer {
                unlink(socketPath)
                rmdir(directory)
            }
            let output = try runUnderSocketActivate(probe: probePath!, socketPath: socketPath)
            #expect(output.contains("3 rpc\n"))
            #expect(output.contains("chosen 3\n"))
            #expect(output.contains("env LISTEN_FDS=unset\n"))
            // The daemon never unlinks a passed socket: its path is still there.
            #expect(access(socketPath, F_OK) == 0)
        }
    }
}

/// Runs `systemd-socket-activate -l <socketPath> --fdname=rpc <probe>`, connects once it listens
/// (which makes it exec the probe with fd 3), and returns everything both wrote.
private func runUnderSocketActivate(probe: String, socketPath: String) throws -> String {
    var pipeFDs: [Int32] = [0, 0]
    try #require(pipe(&pipeFDs) == 0)
    let (readEnd, writeEnd) = (pipeFDs[0], pipeFDs[1])
    defer { close(readEnd) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
    posix_spawn_file_actions_addclose(&actions, readEnd)

    let arguments = [socketActivate, "-l", socketPath, "--fdname=rpc", probe]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, socketActivate, &actions, nil, &argv, environ)
    close(writeEnd)
    try #require(spawned == 0, "posix_spawn: \(spawned)")

    var output = ""
    var client: Int32 = -1
    defer {
        if client >= 0 { close(client) }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == 0 {
            kill(pid, SIGTERM)
            waitpid(pid, &status, 0)
        }
    }
    var buffer = [UInt8](repeating: 0, count: 4096)
    while waitReadable(readEnd, milliseconds: 10_000) {
        let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        output += String(decoding: buffer[..<count], as: UTF8.self)
        if client < 0 && output.contains("Listening on") {
            client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            let connected = withUnixAddress(socketPath) { connect(client, $0, $1) }
            try #require(connected == 0, "connect: errno \(errno)")
        }
    }
    return output
}
