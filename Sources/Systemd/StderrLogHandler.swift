import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A swift-log handler writing one readable line per record to stderr:
/// `<level> <label>: <message> key=value …`, metadata sorted by key.
///
/// Line breaks in the message and values are escaped so a record stays one line;
/// values with spaces, quotes or `=` are quoted. Written with one `write(2, …)` per record.
public struct StderrLogHandler: LogHandler {
    /// The logger's label.
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
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
        var line = Array(Self.line(level: event.level, label: self.label, message: event.message.description, metadata: metadata).utf8)
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// The line for one record, without the trailing newline.
    static func line(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "\(level) \(label): \(Self.escaped(message))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(Self.quotedIfNeeded(value.description))"
        }
        return line
    }

    /// `text` with line breaks and tabs escaped; inside quotes, also `\\` and `"`.
    private static func escaped(_ text: String, quoting: Bool = false) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\" where quoting: out += "\\\\"
            case "\"" where quoting: out += "\\\""
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == " " || scalar == "\"" || scalar == "=" || scalar == "\n" || scalar == "\r" || scalar == "\t"
        }
        guard needsQuotes else { return value }
        return "\"\(Self.escaped(value, quoting: true))\""
    }
}
