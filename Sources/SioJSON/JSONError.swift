/// Why a JSON text was rejected, and where.
///
/// Every malformed input ends in one of these, never in a crash (RFC 8259 § 9: a parser must
/// accept only texts that conform to the grammar, and may limit nesting depth).
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, without the position: compare with the static members, e.g.
    /// `error.code == .tooDeep`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case unexpectedEnd
            case unexpectedByte
            case invalidEscape
            case invalidUTF8
            case invalidNumber
            case trailingData
            case tooDeep
            case invalidBinary(String)
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The input ended inside a value (or held no value at all).
        public static let unexpectedEnd = Code(.unexpectedEnd)
        /// A byte that the grammar does not allow here, including a raw control character
        /// inside a string.
        public static let unexpectedByte = Code(.unexpectedByte)
        /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX` (RFC 8259 § 7).
        public static let invalidEscape = Code(.invalidEscape)
        /// A string holds bytes that are not well-formed UTF-8 (RFC 8259 § 8.1).
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A number that does not follow RFC 8259 § 6, e.g. `01`, `1.`, `-`.
        public static let invalidNumber = Code(.invalidNumber)
        /// Something other than whitespace follows the value.
        public static let trailingData = Code(.trailingData)
        /// Arrays and objects nest deeper than ``JSONScanner/maximumDepth``.
        public static let tooDeep = Code(.tooDeep)
        /// An object that stands for bytes in the parse's ``JSONBinaryCoding`` and does not
        /// hold them, e.g. `illegal attachments` (a Socket.IO placeholder whose `num` names no
        /// attachment) or `invalid base64`.
        public static func invalidBinary(_ reason: String) -> Code { Code(.invalidBinary(reason)) }

        /// A short message, e.g. `illegal attachments` (socket.io-parser's wording).
        public var description: String {
            switch self.base {
            case .unexpectedEnd: "unexpected end of input"
            case .unexpectedByte: "unexpected byte"
            case .invalidEscape: "invalid escape"
            case .invalidUTF8: "invalid UTF-8"
            case .invalidNumber: "invalid number"
            case .trailingData: "trailing data"
            case .tooDeep: "nesting too deep"
            case .invalidBinary(let reason): reason
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// Offset of the offending byte from the start of the input (the input's length when it
    /// ended early; the object's `{` for ``Code/invalidBinary(_:)``).
    public let byteOffset: Int
    /// The offending byte, when there is one.
    private let byte: UInt8?

    init(_ code: Code, at byteOffset: Int, byte: UInt8? = nil) {
        self.code = code
        self.byteOffset = byteOffset
        self.byte = byte
    }

    /// E.g. `unexpected byte 0x5D (']') at byte offset 3`.
    public var description: String {
        guard let byte = self.byte else {
            return "\(self.code) at byte offset \(self.byteOffset)"
        }
        let hex = String(byte, radix: 16, uppercase: true)
        let shown = byte >= 0x20 && byte < 0x7F ? " ('\(Character(Unicode.Scalar(byte)))')" : ""
        return "\(self.code) 0x\(hex.count < 2 ? "0" + hex : hex)\(shown) at byte offset \(self.byteOffset)"
    }
}
