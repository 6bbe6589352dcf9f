/// A JSON number, kept as the text it was written with.
///
/// Keeping the text makes round trips exact: `12345678901234567890`, `-0` and `1E400` are
/// written back as they came. Two numbers are equal when their texts are equal, so `1` and
/// `1.0` differ.
public struct JSONNumber: Sendable, Hashable {
    /// The number as written, e.g. `12345678901234567890` or `1.5e3`.
    public let text: String

    /// A number whose text is trusted to follow RFC 8259 § 6 (it is written out as it is).
    public init(unchecked text: String) {
        self.text = text
    }

    /// A number from its text, or `nil` unless the whole text follows RFC 8259 § 6
    /// (no whitespace, no `+1`, `01`, `.5`, `1.`, `NaN`).
    public init?(_ text: String) {
        var copy = text
        let isValid = copy.withUTF8 { buffer in
            guard !buffer.isEmpty else {
                return false
            }
            do {
                return try JSONScanner.scanNumber(buffer, at: 0) == buffer.count
            } catch {
                return false
            }
        }
        guard isValid else {
            return nil
        }
        self.text = text
    }

    /// The integer, written in decimal.
    public init(_ value: Int) {
        self.text = String(value)
    }

    /// The integer, written in decimal.
    public init(_ value: UInt64) {
        self.text = String(value)
    }

    /// The number written as JavaScript's `String(number)` and `JSON.stringify` write it
    /// (ECMA-262 § Number::toString): shortest round-trip digits, integral values without
    /// `.0`, exponent form below 1e-6 and from 1e21 on (`1e+21`, `1.5e-7`), `-0` as `0`.
    /// `nil` for NaN and the infinities, which JSON cannot hold.
    public init?(_ value: Double) {
        guard value.isFinite else {
            return nil
        }
        self.text = Self.ecmaScriptText(of: value)
    }
}

// MARK: - Values

extension JSONNumber {
    /// The number as an `Int` when it is an exact integer that fits: `42`, `-7`, and also
    /// integral values written with a fraction or exponent (`1.0`, `1e3`, `2.50e1`). `nil` for
    /// `1.5`, `1e-3`, `1e400`, and integers outside `Int`'s range.
    public var intValue: Int? {
        var text = self.text
        return text.withUTF8 { Self.exactInteger(in: $0) }
    }

    /// The nearest `Double` (`±infinity` beyond its range, as `1E400`; `nan` if an unchecked
    /// text is not a number).
    public var doubleValue: Double {
        Double(self.text) ?? .nan
    }
}

extension JSONNumber: CustomStringConvertible {
    /// The number's text.
    public var description: String {
        self.text
    }
}
