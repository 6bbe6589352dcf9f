/// Validation and slicing of JSON text without building values: the hot path that forwards
/// Socket.IO event arguments as their original bytes.
///
/// Everything works on raw UTF-8 bytes in one pass, allocates nothing (except the ranges that
/// ``scanArray(_:)`` returns and the decoded `String`), and implements RFC 8259 strictly.
/// Nesting deeper than ``maximumDepth`` throws rather than overflowing the stack.
public enum JSONScanner {
    /// The deepest nesting of arrays and objects accepted (RFC 8259 § 9 lets a parser set it).
    public static let maximumDepth = 512

    /// Validates one value that starts at `start` (after optional whitespace) and returns the
    /// index just past it; bytes after it are not examined.
    public static func skipValue(in buffer: UnsafeBufferPointer<UInt8>, from start: Int) throws(JSONError) -> Int {
        guard start >= 0 else {
            throw JSONError(.unexpectedEnd, at: start)
        }
        return try self.scanValue(buffer, at: self.skipWhitespace(buffer, from: start), depth: 0)
    }

    /// Validates the whole buffer as one JSON value (surrounding whitespace allowed), in one
    /// pass. If the value is an array, returns the ranges of its top-level elements without
    /// surrounding whitespace; otherwise `nil`.
    public static func scanArray(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONError) -> [Range<Int>]? {
        let start = self.skipWhitespace(buffer, from: 0)
        guard start < buffer.count, buffer[start] == UInt8(ascii: "[") else {
            _ = try self.scanDocument(buffer)
            return nil
        }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(4)
        var index = self.skipWhitespace(buffer, from: start + 1)
        if index < buffer.count, buffer[index] == UInt8(ascii: "]") {
            try self.expectEnd(buffer, from: index + 1)
            return ranges
        }
        while true {
            let end = try self.scanValue(buffer, at: index, depth: 1)
            ranges.append(index..<end)
            let next = try self.afterElement(buffer, at: end, closing: UInt8(ascii: "]"))
            if next.closed {
                try self.expectEnd(buffer, from: next.index)
                return ranges
            }
            index = next.index
        }
    }

    /// Validates the whole buffer as one JSON value, as ``scanArray(_:)`` does, and counts the
    /// top-level elements when it is an array, without keeping their ranges: a caller that
    /// refuses long arrays learns it in one pass that allocates nothing. `nil` when the buffer
    /// holds no array, or is not valid JSON.
    public static func countElements(_ buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        let start = self.skipWhitespace(buffer, from: 0)
        guard start < buffer.count, buffer[start] == UInt8(ascii: "[") else { return nil }
        var index = self.skipWhitespace(buffer, from: start + 1)
        do throws(JSONError) {
            if index < buffer.count, buffer[index] == UInt8(ascii: "]") {
                try self.expectEnd(buffer, from: index + 1)
                return 0
            }
            var count = 0
            while true {
                index = try self.scanValue(buffer, at: index, depth: 1)
                count += 1
                let next = try self.afterElement(buffer, at: index, closing: UInt8(ascii: "]"))
                if next.closed {
                    try self.expectEnd(buffer, from: next.index)
                    return count
                }
                index = next.index
            }
        } catch {
            return nil
        }
    }

    /// Decodes the string literal at `range`, quotes included (e.g. a range from
    /// ``scanArray(_:)``). Without escapes the bytes are taken as they are. A lone surrogate
    /// escape such as `\ud800` decodes as U+FFFD.
    public static func decodeString(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(JSONError) -> String {
        guard range.lowerBound >= 0, range.upperBound <= buffer.count, range.count >= 2 else {
            throw JSONError(.unexpectedEnd, at: max(range.lowerBound, 0))
        }
        guard buffer[range.lowerBound] == UInt8(ascii: "\"") else {
            throw JSONError(.unexpectedByte, at: range.lowerBound, byte: buffer[range.lowerBound])
        }
        let (end, hasEscapes) = try self.scanString(
            UnsafeBufferPointer(rebasing: buffer[..<range.upperBound]),
            at: range.lowerBound
        )
        guard end == range.upperBound else {
            throw JSONError(.trailingData, at: end, byte: buffer[end])
        }
        return self.decodeContent(buffer, from: range.lowerBound + 1, to: end - 1, hasEscapes: hasEscapes)
    }

    /// The kind of value that the first non-whitespace byte starts, or `nil` if that byte
    /// cannot start a value (or there is none). Does not validate the value.
    public static func kind(of buffer: UnsafeBufferPointer<UInt8>) -> JSONKind? {
        let index = self.skipWhitespace(buffer, from: 0)
        guard index < buffer.count else {
            return nil
        }
        switch buffer[index] {
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "{"): return .object
        default: return nil
        }
    }
}
