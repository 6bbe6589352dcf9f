// The RFC 8259 grammar over raw bytes, shared by the scanner, the tree parser and
// `JSONNumber`. Every function takes the index of the first byte of its production and
// returns the index just past it; none allocates.

extension JSONScanner {
    // MARK: - Whitespace

    /// The index of the first byte at or after `index` that is not JSON whitespace
    /// (RFC 8259 § 2: space, tab, line feed, carriage return).
    @inline(__always)
    static func skipWhitespace(_ buffer: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        var index = index
        while index < buffer.count {
            switch buffer[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return index
            }
        }
        return index
    }

    // MARK: - Values

    /// Validates the value starting exactly at `index`; `depth` is the number of arrays and
    /// objects around it.
    static func scanValue(
        _ buffer: UnsafeBufferPointer<UInt8>,
        at index: Int,
        depth: Int
    ) throws(JSONError) -> Int {
        guard index < buffer.count else {
            throw JSONError(.unexpectedEnd, at: buffer.count)
        }
        switch buffer[index] {
        case UInt8(ascii: "\""): return try self.scanString(buffer, at: index).end
        case UInt8(ascii: "{"): return try self.scanObject(buffer, at: index, depth: depth + 1)
        case UInt8(ascii: "["): return try self.scanArray(buffer, at: index, depth: depth + 1)
        case UInt8(ascii: "t"): return try self.scanLiteral(buffer, at: index, "true")
        case UInt8(ascii: "f"): return try self.scanLiteral(buffer, at: index, "false")
        case UInt8(ascii: "n"): return try self.scanLiteral(buffer, at: index, "null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try self.scanNumber(buffer, at: index)
        case let byte:
            throw JSONError(.unexpectedByte, at: index, byte: byte)
        }
    }

    /// Validates the whole buffer as one value with optional surrounding whitespace, and
    /// returns the value's range.
    static func scanDocument(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONError) -> Range<Int> {
        let start = self.skipWhitespace(buffer, from: 0)
        let end = try self.scanValue(buffer, at: start, depth: 0)
        try self.expectEnd(buffer, from: end)
        return start..<end
    }

    /// Throws ``JSONError/Code/trailingData`` unless only whitespace follows `index`.
    static func expectEnd(_ buffer: UnsafeBufferPointer<UInt8>, from index: Int) throws(JSONError) {
        let rest = self.skipWhitespace(buffer, from: index)
        guard rest == buffer.count else {
            throw JSONError(.trailingData, at: rest, byte: buffer[rest])
        }
    }

    /// `true`, `false` or `null`, spelled exactly.
    static func scanLiteral(
        _ buffer: UnsafeBufferPointer<UInt8>,
        at index: Int,
        _ literal: StaticString
    ) throws(JSONError) -> Int {
        let expected = literal.utf8Start
        for offset in 0..<literal.utf8CodeUnitCount {
            let position = index + offset
            guard position < buffer.count else {
                throw JSONError(.unexpectedEnd, at: buffer.count)
            }
            guard buffer[position] == expected[offset] else {
                throw JSONError(.unexpectedByte, at: position, byte: buffer[position])
            }
        }
        return index + literal.utf8CodeUnitCount
    }

    // MARK: - Containers

    /// An array whose `[` is at `index`; `depth` counts this array.
    static func scanArray(
        _ buffer: UnsafeBufferPointer<UInt8>,
        at index: Int,
        depth: Int
    ) throws(JSONError) -> Int {
        guard depth <= self.maximumDepth else {
            throw JSONError(.tooDeep, at: index)
        }
        var index = self.skipWhitespace(buffer, from: index + 1)
        if index < buffer.count, buffer[index] == UInt8(ascii: "]") {
            return index + 1
        }
        while true {
            index = try self.scanValue(buffer, at: index, depth: depth)
            let next = try self.afterElement(buffer, at: index, closing: UInt8(ascii: "]"))
            if next.closed {
                return next.index
            }
            index = next.index
        }
    }

    /// An object whose `{` is at `index`; `depth` counts this object.
    static func scanObject(
        _ buffer: UnsafeBufferPointer<UInt8>,
        at index: Int,
        depth: Int
    ) throws(JSONError) -> Int {
        guard depth <= self.maximumDepth else {
            throw JSONError(.tooDeep, at: index)
        }
        var index = self.skipWhitespace(buffer, from: index + 1)
        if index < buffer.count, buffer[index] == UInt8(ascii: "}") {
            return index + 1
        }
        while true {
            index = try self.scanKey(buffer, at: index)
            index = try self.scanValue(buffer, at: index, depth: depth)
            let next = try self.afterElement(buffer, at: index, closing: UInt8(ascii: "}"))
            if next.closed {
                return next.index
            }
            index = next.index
        }
    }

    /// A member's `"key" :` starting at `index` (or, with `afterString`, just past the key's
    /// closing quote); returns the index of the value's first byte.
    @inline(__always)
    static func scanKey(
        _ buffer: UnsafeBufferPointer<UInt8>,
        at index: Int,
        afterString: Bool = false
    ) throws(JSONError) -> Int {
        var index = index
        if !afterString {
            guard index < buffer.count else {
                throw JSONError(.unexpectedEnd, at: buffer.count)
            }
            guard buffer[index] == UInt8(ascii: "\"") else {
                throw JSONError(.unexpectedByte, at: index, byte: buffer[index])
            }
            index = try self.scanString(buffer, at: index).end
        }
        let colon = self.skipWhitespace(buffer, from: index)
        guard colon < buffer.count else {
            throw JSONError(.unexpectedEnd, at: buffer.count)
        }
        guard buffer[colon] == UInt8(ascii: ":") else {
            throw JSONError(.unexpectedByte, at: colon, byte: buffer[colon])
        }
        return self.skipWhitespace(buffer, from: colon + 1)
    }

    /// After an element: a `,` gives the next element's first byte; the closing bracket gives
    /// the index just past it, with `closed` set.
    @inline(__always)
    static func afterElement(
        _ buffer: UnsafeBufferPointer<UInt8>,
        at index: Int,
        closing: UInt8
    ) throws(JSONError) -> (index: Int, closed: Bool) {
        let index = self.skipWhitespace(buffer, from: index)
        guard index < buffer.count else {
            throw JSONError(.unexpectedEnd, at: buffer.count)
        }
        switch buffer[index] {
        case UInt8(ascii: ","): return (self.skipWhitespace(buffer, from: index + 1), false)
        case closing: return (index + 1, true)
        case let byte: throw JSONError(.unexpectedByte, at: index, byte: byte)
        }
    }

    // MARK: - Numbers

    /// A number (RFC 8259 § 6): `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func scanNumber(_ buffer: UnsafeBufferPointer<UInt8>, at start: Int) throws(JSONError) -> Int {
        let count = buffer.count
        var index = start
        if index < count, buffer[index] == UInt8(ascii: "-") {
            index += 1
        }
        guard index < count else {
            throw JSONError(.invalidNumber, at: index)
        }
        switch buffer[index] {
        case UInt8(ascii: "0"):
            index += 1
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            index = self.skipDigits(buffer, from: index + 1)
        case let byte:
            throw JSONError(.invalidNumber, at: index, byte: byte)
        }
        if index < count, buffer[index] == UInt8(ascii: ".") {
            index = try self.scanDigits(buffer, from: index + 1)
        }
        if index < count, buffer[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-") {
                index += 1
            }
            index = try self.scanDigits(buffer, from: index)
        }
        // Only a leading zero can be followed by a digit here: `01`, `-00`.
        if index < count, self.isDigit(buffer[index]) {
            throw JSONError(.invalidNumber, at: index, byte: buffer[index])
        }
        return index
    }

    /// One or more digits.
    @inline(__always)
    private static func scanDigits(_ buffer: UnsafeBufferPointer<UInt8>, from index: Int) throws(JSONError) -> Int {
        guard index < buffer.count, self.isDigit(buffer[index]) else {
            throw JSONError(.invalidNumber, at: index, byte: index < buffer.count ? buffer[index] : nil)
        }
        return self.skipDigits(buffer, from: index + 1)
    }

    /// Zero or more digits.
    @inline(__always)
    private static func skipDigits(_ buffer: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        var index = index
        while index < buffer.count, self.isDigit(buffer[index]) {
            index += 1
        }
        return index
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    // MARK: - Strings

    /// A string whose opening `"` is at `start` (RFC 8259 § 7, § 8.1): no raw control
    /// characters, valid escapes, well-formed UTF-8. Returns the index past the closing quote
    /// and whether any backslash escape occurs.
    static func scanString(
        _ buffer: UnsafeBufferPointer<UInt8>,
        at start: Int
    ) throws(JSONError) -> (end: Int, hasEscapes: Bool) {
        let count = buffer.count
        var index = start + 1
        var hasEscapes = false
        while index < count {
            // Eight plain ASCII bytes at a time, the common case.
            if let base = buffer.baseAddress {
                while index + 8 <= count,
                    self.isPlainWord(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self), allowingNonASCII: false)
                {
                    index += 8
                }
                guard index < count else {
                    break
                }
            }
            let byte = buffer[index]
            if byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                return (index + 1, hasEscapes)
            case UInt8(ascii: "\\"):
                hasEscapes = true
                index = try self.scanEscape(buffer, at: index)
            case 0..<0x20:
                throw JSONError(.unexpectedByte, at: index, byte: byte)
            default:
                index = try self.scanUTF8Sequence(buffer, at: index)
            }
        }
        throw JSONError(.unexpectedEnd, at: count)
    }

    /// Whether none of the eight bytes in `word` is `"`, `\\` or a control character (nor,
    /// unless `allowingNonASCII`, at or above 0x80), i.e. a string can take them as they are.
    /// Each test is the classic "has a zero byte" bit trick; a false alarm only means the
    /// caller looks at the bytes one by one.
    @inline(__always)
    static func isPlainWord(_ word: UInt64, allowingNonASCII: Bool) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        var flagged = (word &- ones &* 0x20) & ~word
        flagged |= (quote &- ones) & ~quote
        flagged |= (backslash &- ones) & ~backslash
        if !allowingNonASCII {
            flagged |= word
        }
        return flagged & highBits == 0
    }

    /// An escape whose backslash is at `index`.
    @inline(__always)
    private static func scanEscape(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int) throws(JSONError) -> Int {
        guard index + 1 < buffer.count else {
            throw JSONError(.unexpectedEnd, at: buffer.count)
        }
        switch buffer[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index + 2
        case UInt8(ascii: "u"):
            for position in (index + 2)..<(index + 6) {
                guard position < buffer.count else {
                    throw JSONError(.unexpectedEnd, at: buffer.count)
                }
                guard self.isHexDigit(buffer[position]) else {
                    throw JSONError(.invalidEscape, at: index)
                }
            }
            return index + 6
        default:
            throw JSONError(.invalidEscape, at: index)
        }
    }

    @inline(__always)
    static func isHexDigit(_ byte: UInt8) -> Bool {
        self.isDigit(byte) || (byte | 0x20) &- UInt8(ascii: "a") < 6
    }

    /// One multi-byte UTF-8 sequence whose lead byte (≥ 0x80) is at `index`: no overlong
    /// forms, no surrogates, nothing above U+10FFFF (Unicode § 3.9, Table 3-7).
    private static func scanUTF8Sequence(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int) throws(JSONError) -> Int {
        let lead = buffer[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw JSONError(.invalidUTF8, at: index, byte: lead)
        }
        guard index + length <= buffer.count else {
            throw JSONError(.invalidUTF8, at: index, byte: lead)
        }
        let second = buffer[index + 1]
        guard second >= low, second <= high else {
            throw JSONError(.invalidUTF8, at: index + 1, byte: second)
        }
        for position in (index + 2)..<(index + length) where buffer[position] & 0xC0 != 0x80 {
            throw JSONError(.invalidUTF8, at: position, byte: buffer[position])
        }
        return index + length
    }
}
