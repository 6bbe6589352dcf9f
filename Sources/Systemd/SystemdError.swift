#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A libsystemd call failed; carries which call and the errno it reported (libsystemd returns `-errno`).
public struct SystemdError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case notify
        case watchdog
        case listenFDs
        case journal
    }

    private let base: Base
    /// The positive errno value libsystemd reported.
    public let errno: Int32

    private init(_ base: Base, errno: Int32) {
        self.base = base
        self.errno = errno
    }

    /// `sd_notify` failed to send to `$NOTIFY_SOCKET`.
    public static func notify(errno: Int32) -> SystemdError { SystemdError(.notify, errno: errno) }
    /// `sd_watchdog_enabled` rejected `$WATCHDOG_USEC`/`$WATCHDOG_PID`.
    public static func watchdog(errno: Int32) -> SystemdError { SystemdError(.watchdog, errno: errno) }
    /// `sd_listen_fds_with_names` rejected `$LISTEN_*`.
    public static func listenFDs(errno: Int32) -> SystemdError { SystemdError(.listenFDs, errno: errno) }
    /// `sd_journal_sendv` failed.
    public static func journal(errno: Int32) -> SystemdError { SystemdError(.journal, errno: errno) }

    public var description: String {
        let call: String
        switch self.base {
        case .notify: call = "sd_notify"
        case .watchdog: call = "sd_watchdog_enabled"
        case .listenFDs: call = "sd_listen_fds_with_names"
        case .journal: call = "sd_journal_sendv"
        }
        return "\(call): \(String(cString: strerror(self.errno))) (errno \(self.errno))"
    }
}
