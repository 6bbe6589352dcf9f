/// The kind of a JSON value, read from its first byte (RFC 8259 § 3).
public enum JSONKind: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool
    /// A number: `-` or a digit.
    case number
    /// A string: `"`.
    case string
    /// An array: `[`.
    case array
    /// An object: `{`.
    case object
}
