import Logging

/// Pure mappings from swift-log records to journald fields (systemd.io *Native Journal Protocol*).
public enum JournalFields {
    /// The prefix of every field siod derives from metadata.
    public static let metadataPrefix = "SIOD_"

    /// journald's limit on a field name's length.
    static let maximumNameLength = 64

    /// The journald field name for a swift-log metadata key: upper-cased, anything outside
    /// `[A-Z0-9_]` replaced by `_`, prefixed `SIOD_` unless it already is (so it never starts with
    /// `_` or a digit), cut at 64 characters. journald silently drops fields named otherwise.
    /// `socket` → `SIOD_SOCKET`, `peer.uid` → `SIOD_PEER_UID`. `nil` for an empty key.
    public static func fieldName(forMetadataKey key: String) -> String? {
        guard !key.isEmpty else { return nil }
        var mapped = String.UnicodeScalarView()
        for scalar in key.unicodeScalars {
            switch scalar {
            case "A"..."Z", "0"..."9", "_":
                mapped.append(scalar)
            case "a"..."z":
                mapped.append(Unicode.Scalar(scalar.value - 0x20)!)
            default:
                mapped.append("_")
            }
        }
        var name = String(mapped)
        if !name.hasPrefix(Self.metadataPrefix) {
            name = Self.metadataPrefix + name
        }
        return String(name.prefix(Self.maximumNameLength))
    }

    /// The syslog priority (0 emerg … 7 debug) for a swift-log level.
    public static func priority(for level: Logger.Level) -> Int {
        switch level {
        case .trace: 7
        case .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The `(name, value)` fields of one journal entry, in sending order: `MESSAGE`, `PRIORITY`,
    /// `SYSLOG_IDENTIFIER`, `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, `SIOD_LOGGER` (the logger's
    /// label), then the metadata sorted by key. Values may contain newlines.
    public static func fields(
        identifier: String,
        label: String,
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata,
        file: String,
        function: String,
        line: UInt
    ) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", message),
            ("PRIORITY", String(Self.priority(for: level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", file),
            ("CODE_LINE", String(line)),
            ("CODE_FUNC", function),
            ("SIOD_LOGGER", label),
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard let name = Self.fieldName(forMetadataKey: key) else { continue }
            fields.append((name, value.description))
        }
        return fields
    }
}
