/// How ``JSON/init(parsing:options:)`` reads the text.
public struct JSONParseOptions: Sendable {
    /// The format's objects that stand for bytes become `.binary`; nil reads every object as
    /// an object.
    public var binary: (any JSONBinaryCoding)?

    /// Options; the defaults turn nothing into `.binary`.
    public init(binary: (any JSONBinaryCoding)? = nil) {
        self.binary = binary
    }
}
