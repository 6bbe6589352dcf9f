import CSystemd

/// The service watchdog systemd armed for this process (`WatchdogSec=`), per sd_watchdog_enabled(3).
///
/// Ping with ``SystemdNotifier/watchdog()`` every ``pingInterval``, and only after a health
/// round-trip (event loop, connection manager) succeeded: a free-running timer proves nothing.
public struct Watchdog: Hashable, Sendable {
    /// The timeout systemd enforces (`$WATCHDOG_USEC`).
    public let interval: Duration

    /// How often to ping: half the timeout, as sd_watchdog_enabled(3) recommends.
    public var pingInterval: Duration { self.interval / 2 }

    /// A watchdog with the given timeout.
    public init(interval: Duration) {
        self.interval = interval
    }

    /// The watchdog from `$WATCHDOG_USEC`, or `nil` when it is unset, zero, or `$WATCHDOG_PID` names another process.
    /// The variables are left in place.
    /// - Throws: ``SystemdError/watchdog(errno:)`` when the variables cannot be parsed.
    public static func fromEnvironment() throws(SystemdError) -> Watchdog? {
        var usec: UInt64 = 0
        let result = sd_watchdog_enabled(0, &usec)
        if result < 0 {
            throw .watchdog(errno: -result)
        }
        guard result > 0, usec > 0 else { return nil }
        return Watchdog(interval: .microseconds(Int64(clamping: usec)))
    }
}
