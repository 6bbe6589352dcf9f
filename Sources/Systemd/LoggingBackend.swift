import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where siod's logs go: journald natively when stderr is connected to the journal, else plain stderr.
public enum LoggingBackend: Hashable, Sendable {
    /// Structured entries through ``JournalLogHandler``.
    case journal
    /// One line per record through ``StderrLogHandler``.
    case stderr

    /// `.journal` when `$JOURNAL_STREAM` names the device and inode of stderr (systemd.exec(5));
    /// the variable alone is not enough, as a child whose stderr was redirected inherits it.
    public static func detect() -> LoggingBackend {
        let value = getenv("JOURNAL_STREAM").map { String(cString: $0) }
        guard let identity = Self.stderrIdentity() else { return .stderr }
        return Self.isJournalStream(value, device: identity.device, inode: identity.inode) ? .journal : .stderr
    }

    /// Bootstraps swift-log (once per process) with the detected backend's handler at `level`.
    @discardableResult
    public static func bootstrap(level: Logger.Level, identifier: String = "siod") -> LoggingBackend {
        let backend = Self.detect()
        switch backend {
        case .journal:
            LoggingSystem.bootstrap { label in
                var handler = JournalLogHandler(label: label, identifier: identifier)
                handler.logLevel = level
                return handler
            }
        case .stderr:
            LoggingSystem.bootstrap { label in
                var handler = StderrLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        return backend
    }

    /// Whether a `$JOURNAL_STREAM` value (`<dev>:<ino>`, decimal) names the given device and inode.
    static func isJournalStream(_ value: String?, device: UInt64, inode: UInt64) -> Bool {
        guard let value else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        return dev == device && ino == inode
    }

    /// The device and inode of fd 2, or `nil` if it is closed.
    static func stderrIdentity() -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard fstat(2, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }
}
