// Decoding string literals that `scanString` has already validated.

extension JSONScanner {
    /// The text of the validated string literal whose content (between the quotes) is
    /// `start..<end`.
    ///
    /// Escapes follow RFC 8259 § 7. A `\uXXXX` surrogate that is not part of a high-low pair
    /// cannot be held by a Swift `String` and decodes as U+FFFD REPLACEMENT CHARACTER.
    static func decodeContent(
        _ buffer: UnsafeBufferPointer<UInt8>,
        from start: Int,
        to end: Int,
        hasEscapes: Bool
    ) -> String {
        guard hasEscapes else {
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        }
        // Every escape is at least as long as the UTF-8 it stands for.
        return String(unsafeUninitializedCapacity: end - start) { output in
            self.unescape(buffer, from: start, to: end, into: output)
        }
    }

    /// Writes the unescaped content into `output` (at least `end - start` bytes) and returns
    /// the number of bytes written.
    private static func unescape(
        _ buffer: UnsafeBufferPointer<UInt8>,
        from start: Int,
        to end: Int,
        into output: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        var index = start
        var written = 0
        while index < end {
            let byte = buffer[index]
            guard byte == UInt8(ascii: "\\") else {
                output[written] = byte
                written += 1
                index += 1
                continue
            }
            let escaped = buffer[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): output[written] = 0x08
            case UInt8(ascii: "f"): output[written] = 0x0C
            case UInt8(ascii: "n"): output[written] = 0x0A
            case UInt8(ascii: "r"): output[written] = 0x0D
            case UInt8(ascii: "t"): output[written] = 0x09
            case UInt8(ascii: "u"):
                var scalar = self.hexValue(buffer, at: index)
                index += 4
                if scalar & 0xFC00 == 0xD800 {
                    if index + 6 <= end, buffer[index] == UInt8(ascii: "\\"), buffer[index + 1] == UInt8(ascii: "u"),
                        case let low = self.hexValue(buffer, at: index + 2), low & 0xFC00 == 0xDC00
                    {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar & 0xFC00 == 0xDC00 {
                    scalar = 0xFFFD
                }
                written = self.writeUTF8(scalar, into: output, at: written)
                continue
            default:  // `"`, `\`, `/`
                output[written] = escaped
            }
            written += 1
        }
        return written
    }

    /// The value of the four hex digits at `index` (already validated).
    @inline(__always)
    private static func hexValue(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for position in index..<(index + 4) {
            let byte = buffer[position]
            // '0'...'9' are 0x30...0x39; 'A'...'F' and 'a'...'f' end in 1...6.
            let digit = UInt32(byte & 0x0F) + (byte >= UInt8(ascii: "A") ? 9 : 0)
            value = value << 4 | digit
        }
        return value
    }

    /// Encodes a scalar value (not a surrogate) as UTF-8 at `offset`; returns the new offset.
    @inline(__always)
    private static func writeUTF8(_ scalar: UInt32, into output: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        switch scalar {
        case 0..<0x80:
            output[offset] = UInt8(scalar)
            return offset + 1
        case 0x80..<0x800:
            output[offset] = UInt8(0xC0 | scalar >> 6)
            output[offset + 1] = UInt8(0x80 | scalar & 0x3F)
            return offset + 2
        case 0x800..<0x10000:
            output[offset] = UInt8(0xE0 | scalar >> 12)
            output[offset + 1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[offset + 2] = UInt8(0x80 | scalar & 0x3F)
            return offset + 3
        default:
            output[offset] = UInt8(0xF0 | scalar >> 18)
            output[offset + 1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            output[offset + 2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[offset + 3] = UInt8(0x80 | scalar & 0x3F)
            return offset + 4
        }
    }
}
