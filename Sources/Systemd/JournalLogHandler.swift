import CSystemd
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A swift-log handler writing structured entries to journald with `sd_journal_sendv`.
///
/// Fields are those of ``JournalFields/fields(identifier:label:level:message:metadata:file:function:line:)``;
/// metadata keys are mapped to valid journald names (lower-case ones would be dropped silently).
/// A failed send is not reported: there is nowhere left to report it.
public struct JournalLogHandler: LogHandler {
    /// The logger's label, sent as `SIOD_LOGGER`.
    public let label: String
    /// `SYSLOG_IDENTIFIER`, what `journalctl -t` filters on.
    public let identifier: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, identifier: String = "siod", metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let metadata = LogRecord.mergedMetadata(
            handler: self.metadata,
            provider: self.metadataProvider,
            event: event.metadata,
            error: event.error
        )
        let fields = JournalFields.fields(
            identifier: self.identifier,
            label: self.label,
            level: event.level,
            message: event.message.description,
            metadata: metadata,
            file: event.file,
            function: event.function,
            line: event.line
        )
        _ = Self.send(fields)
    }

    /// Sends one entry; `KEY=value` pairs are binary-safe (values may hold newlines).
    /// - Returns: `0` or `-errno`, as `sd_journal_sendv`.
    static func send(_ fields: [(name: String, value: String)]) -> Int32 {
        let buffers: [[UInt8]] = fields.map { Array("\($0.name)=\($0.value)".utf8) }
        return Self.withIovecs(buffers) { iovecs in
            sd_journal_sendv(iovecs.baseAddress, Int32(iovecs.count))
        }
    }

    /// Calls `body` with one `iovec` per buffer, all pinned for the duration of the call.
    private static func withIovecs<R>(_ buffers: [[UInt8]], _ body: (UnsafeBufferPointer<iovec>) -> R) -> R {
        var iovecs: [iovec] = []
        iovecs.reserveCapacity(buffers.count)
        func pin(_ index: Int) -> R {
            if index == buffers.count {
                return iovecs.withUnsafeBufferPointer(body)
            }
            return buffers[index].withUnsafeBytes { bytes in
                iovecs.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
                return pin(index + 1)
            }
        }
        return pin(0)
    }
}
