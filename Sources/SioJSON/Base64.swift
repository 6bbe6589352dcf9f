/// Standard base64 with padding (RFC 4648 § 4), for `{"$binary": …}`.
enum Base64 {
    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// Appends the base64 text of `bytes` to `out`.
    static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        let table = self.alphabet.utf8Start
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(table[Int(group >> 18 & 0x3F)])
            out.append(table[Int(group >> 12 & 0x3F)])
            out.append(table[Int(group >> 6 & 0x3F)])
            out.append(table[Int(group & 0x3F)])
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let group = UInt32(bytes[index]) << 16
            out.append(table[Int(group >> 18 & 0x3F)])
            out.append(table[Int(group >> 12 & 0x3F)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        case 2:
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(table[Int(group >> 18 & 0x3F)])
            out.append(table[Int(group >> 12 & 0x3F)])
            out.append(table[Int(group >> 6 & 0x3F)])
            out.append(UInt8(ascii: "="))
        default:
            break
        }
    }

    /// The bytes of padded standard base64 text, or `nil` if it is not exactly that (wrong
    /// length, a character outside the alphabet, misplaced `=`).
    static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else {
            return nil
        }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            var group: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let byte = input[index + offset]
                if byte == UInt8(ascii: "="), isLast, offset >= 2 {
                    padding += 1
                    group <<= 6
                    continue
                }
                guard padding == 0, let value = self.value(of: byte) else {
                    return nil
                }
                group = group << 6 | value
            }
            out.append(UInt8(group >> 16 & 0xFF))
            if padding < 2 {
                out.append(UInt8(group >> 8 & 0xFF))
            }
            if padding < 1 {
                out.append(UInt8(group & 0xFF))
            }
            index += 4
        }
        return out
    }

    private static func value(of byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(byte - UInt8(ascii: "a") + 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0") + 52)
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
