#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing

@testable import Systemd

/// A `SOCK_DGRAM` socket standing in for systemd's notify socket (sd_notify(3), `$NOTIFY_SOCKET`).
private final class FakeNotifySocket {
    let directory: String
    let path: String
    let fd: Int32

    init() {
        self.directory = makeTemporaryDirectory()
        self.path = self.directory + "/notify.sock"
        self.fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        precondition(self.fd >= 0, "socket failed: errno \(errno)")
        let bound = withUnixAddress(self.path) { bind(self.fd, $0, $1) }
        precondition(bound == 0, "bind failed: errno \(errno)")
    }

    /// The next datagram, or `nil` if none arrives within `milliseconds`.
    func receive(milliseconds: Int32 = 2_000) -> String? {
        guard waitReadable(self.fd, milliseconds: milliseconds) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    deinit {
        close(self.fd)
        unlink(self.path)
        rmdir(self.directory)
    }
}

extension ProcessEnvironmentTests {
    @Suite("SystemdNotifier over a fake NOTIFY_SOCKET")
    struct NotifierTests {
        private let notifier = SystemdNotifier()

        /// Runs `send` with `$NOTIFY_SOCKET` pointing at a fresh fake socket; returns what `send` returned
        /// and the datagram received.
        private func exchange(_ send: (SystemdNotifier) throws -> Bool) throws -> (sent: Bool, datagram: String?) {
            let socket = FakeNotifySocket()
            let sent = try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try send(self.notifier) }
            return (sent, socket.receive())
        }

        @Test func ready_sendsReady() throws {
            let (sent, datagram) = try self.exchange { try $0.ready() }
            #expect(sent)
            #expect(datagram == "READY=1")
        }

        @Test func status_sendsOneLine() throws {
            let (_, datagram) = try self.exchange { try $0.status("connected to 2\nof 3\r\nservers") }
            #expect(datagram == "STATUS=connected to 2 of 3  servers")
        }

        @Test func reloading_sendsMonotonicTimestamp() throws {
            let before = SystemdNotifier.monotonicMicroseconds()
            let (_, datagram) = try self.exchange { try $0.reloading() }
            let after = SystemdNotifier.monotonicMicroseconds()
            let lines = try #require(datagram).split(separator: "\n")
            try #require(lines.count == 2)
            #expect(lines[0] == "RELOADING=1")
            #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
            let usec = try #require(UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)))
            #expect((before...after).contains(usec))
        }

        @Test func stopping_sendsStopping() throws {
            #expect(try self.exchange { try $0.stopping() }.datagram == "STOPPING=1")
        }

        @Test func watchdog_sendsPing() throws {
            #expect(try self.exchange { try $0.watchdog() }.datagram == "WATCHDOG=1")
        }

        @Test func watchdogTrigger_sendsTrigger() throws {
            #expect(try self.exchange { try $0.watchdogTrigger() }.datagram == "WATCHDOG=trigger")
        }

        @Test func errno_sendsErrno() throws {
            #expect(try self.exchange { try $0.errno(ECONNREFUSED) }.datagram == "ERRNO=\(ECONNREFUSED)")
        }

        @Test func extendTimeout_sendsMicroseconds() throws {
            #expect(try self.exchange { try $0.extendTimeout(.milliseconds(1500)) }.datagram == "EXTEND_TIMEOUT_USEC=1500000")
        }

        @Test func notifySocketKeptAfterSending() throws {
            let socket = FakeNotifySocket()
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                try self.notifier.ready()
                #expect(getenv("NOTIFY_SOCKET") != nil)
                try self.notifier.watchdog()
            }
            #expect(socket.receive() == "READY=1")
            #expect(socket.receive() == "WATCHDOG=1")
        }

        @Test func unsetNotifySocket_isNoOp() throws {
            let socket = FakeNotifySocket()
            let sent = try withEnvironment(["NOTIFY_SOCKET": nil]) { try self.notifier.ready() }
            #expect(!sent)
            #expect(socket.receive(milliseconds: 100) == nil)
        }

        @Test func missingNotifySocket_throws() throws {
            let directory = makeTemporaryDirectory()
            defer { rmdir(directory) }
            #expect(throws: SystemdError.self) {
                try withEnvironment(["NOTIFY_SOCKET": directory + "/absent.sock"]) { try self.notifier.ready() }
            }
        }
    }
}

@Suite("SystemdNotifier helpers")
struct NotifierHelperTests {
    @Test func singleLine_replacesLineBreaksAndNUL() {
        #expect(SystemdNotifier.singleLine("a\nb\rc\0d\u{2028}e") == "a b c d e")
        #expect(SystemdNotifier.singleLine("plain") == "plain")
    }

    @Test func microseconds_truncatesAndClamps() {
        #expect(SystemdNotifier.microseconds(.seconds(2)) == 2_000_000)
        #expect(SystemdNotifier.microseconds(.nanoseconds(1_999)) == 1)
        #expect(SystemdNotifier.microseconds(.seconds(-1)) == 0)
    }
}
