/// Writes values as compact JSON text, byte for byte as JavaScript's `JSON.stringify` does
/// (ECMA-262 § JSON.stringify, QuoteJSONString): no whitespace; in strings only `"`, `\` and
/// control characters are escaped (`\b \f \n \r \t`, else `\u00xx` in lowercase hex), `/` and
/// non-ASCII are written as they are; numbers are written as their text.
enum JSONWriter {
    /// Writes `value`, `.binary` as `binary` says.
    static func write(_ value: JSON, to out: inout [UInt8], binary: inout some JSONBinaryCoding) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let flag):
            out.append(contentsOf: flag ? "true".utf8 : "false".utf8)
        case .number(let number):
            out.append(contentsOf: number.text.utf8)
        case .string(let text):
            self.writeString(text, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 {
                    out.append(UInt8(ascii: ","))
                }
                self.write(element, to: &out, binary: &binary)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (position, member) in object.members.enumerated() {
                if position > 0 {
                    out.append(UInt8(ascii: ","))
                }
                self.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                self.write(member.value, to: &out, binary: &binary)
            }
            out.append(UInt8(ascii: "}"))
        case .binary(let bytes):
            binary.write(bytes, to: &out)
        }
    }

    /// Writes a quoted, escaped string.
    static func writeString(_ text: String, to out: inout [UInt8]) {
        var text = text
        out.append(UInt8(ascii: "\""))
        text.withUTF8 { bytes in
            self.writeEscaped(bytes, to: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Writes runs of bytes that need no escape in bulk, and escapes the rest.
    private static func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        var index = 0
        while index < bytes.count {
            if let base = bytes.baseAddress, index + 8 <= bytes.count,
                JSONScanner.isPlainWord(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self), allowingNonASCII: true)
            {
                index += 8
                continue
            }
            let byte = bytes[index]
            index += 1
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                continue
            }
            if runStart < index - 1 {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<(index - 1)]))
            }
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                out.append(contentsOf: "u00".utf8)
                out.append(self.lowercaseHex(byte >> 4))
                out.append(self.lowercaseHex(byte & 0x0F))
            }
            runStart = index
        }
        if runStart < bytes.count {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
    }

    @inline(__always)
    private static func lowercaseHex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
