/// A JSON value that round-trips exactly, and can carry binary.
///
/// Numbers keep the text they were written with (integers beyond 2^53 survive), objects keep
/// their members in the order written. `.binary` is not JSON: each format that carries bytes
/// says how, with a ``JSONBinaryCoding``.
public enum JSON: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, kept as written.
    case number(JSONNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([JSON])
    /// An object, members in the order written.
    case object(JSONObject)
    /// Bytes, written and read as a ``JSONBinaryCoding`` says.
    case binary([UInt8])
}
