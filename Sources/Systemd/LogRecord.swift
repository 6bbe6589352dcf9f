import Logging

/// What both log handlers share.
enum LogRecord {
    /// Handler metadata, overridden by the metadata provider's, overridden by the call's;
    /// an attached error becomes `error`.
    static func mergedMetadata(
        handler: Logger.Metadata,
        provider: Logger.MetadataProvider?,
        event: Logger.Metadata?,
        error: (any Error)?
    ) -> Logger.Metadata {
        var merged = handler
        if let provided = provider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let event {
            merged.merge(event) { _, new in new }
        }
        if let error, merged["error"] == nil {
            merged["error"] = "\(error)"
        }
        return merged
    }
}
