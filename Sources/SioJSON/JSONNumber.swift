/// A JSON number, kept as the text it was written with.
public struct JSONNumber: Sendable, Hashable {
    /// The number as written, e.g. `12345678901234567890` or `1.5e3`.
    public let text: String
    public init(unchecked text: String) { self.text = text }
}
