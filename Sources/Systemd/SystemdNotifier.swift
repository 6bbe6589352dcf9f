import CSystemd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Tells the service manager about the daemon's life, with `sd_notify(3)`.
///
/// sd_notify(3): one datagram of newline-separated `KEY=VALUE` lines to `$NOTIFY_SOCKET`.
/// Every call is a no-op returning `false` when `$NOTIFY_SOCKET` is unset (not run by systemd,
/// or `Type=` is not `notify`). The environment is left in place, so later calls still reach systemd.
public struct SystemdNotifier: Sendable {
    /// A notifier that sends to libsystemd's `$NOTIFY_SOCKET`.
    public init() {}

    /// `READY=1`: startup finished (or a reload did). Send once the RPC socket is served.
    @discardableResult
    public func ready() throws(SystemdError) -> Bool {
        try self.send("READY=1")
    }

    /// `STATUS=…`: a one-line status for `systemctl status`; line breaks become spaces.
    @discardableResult
    public func status(_ text: String) throws(SystemdError) -> Bool {
        try self.send("STATUS=" + Self.singleLine(text))
    }

    /// `RELOADING=1` with `MONOTONIC_USEC` (required by `Type=notify-reload`, systemd ≥ 253).
    /// Must be followed by `ready()` when the reload is done.
    @discardableResult
    public func reloading() throws(SystemdError) -> Bool {
        try self.send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// `STOPPING=1`: graceful shutdown began.
    @discardableResult
    public func stopping() throws(SystemdError) -> Bool {
        try self.send("STOPPING=1")
    }

    /// `WATCHDOG=1`: keep-alive. Send only after a health check passed (see ``Watchdog``).
    @discardableResult
    public func watchdog() throws(SystemdError) -> Bool {
        try self.send("WATCHDOG=1")
    }

    /// `WATCHDOG=trigger`: report a hang; systemd runs the watchdog action at once (systemd ≥ 243).
    @discardableResult
    public func watchdogTrigger() throws(SystemdError) -> Bool {
        try self.send("WATCHDOG=trigger")
    }

    /// `ERRNO=<n>`: the errno-style cause of a failure.
    @discardableResult
    public func errno(_ code: Int32) throws(SystemdError) -> Bool {
        try self.send("ERRNO=\(code)")
    }

    /// `EXTEND_TIMEOUT_USEC=<µs>`: extend the current start, runtime or stop timeout; re-send before it expires.
    @discardableResult
    public func extendTimeout(_ duration: Duration) throws(SystemdError) -> Bool {
        try self.send("EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))")
    }

    /// Sends `state` (newline-separated `KEY=VALUE` lines) as one datagram.
    /// - Returns: `true` if sent, `false` if `$NOTIFY_SOCKET` is unset.
    @discardableResult
    public func send(_ state: String) throws(SystemdError) -> Bool {
        let result = sd_notify(0, state)
        if result < 0 {
            throw .notify(errno: -result)
        }
        return result > 0
    }

    // MARK: - Pure helpers

    /// `text` on one line: CR, LF and NUL (which would cut the C string) become spaces.
    static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            switch scalar {
            case "\r", "\n", "\0", "\u{2028}", "\u{2029}": " "
            default: scalar
            }
        }))
    }

    /// Whole microseconds in `duration`, clamped at zero.
    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000)
    }

    /// `CLOCK_MONOTONIC` in microseconds, the clock systemd compares `MONOTONIC_USEC` with.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
