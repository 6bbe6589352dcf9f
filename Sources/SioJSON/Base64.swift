/// Base64 (RFC 4648), the one codec of the project: standard alphabet with padding for
/// `{"$binary": …}` and Engine.IO's `b` packets (§ 4), the URL-safe alphabet without padding
/// for session IDs (§ 5).
public enum Base64 {
    public enum Alphabet: Sendable {
        /// `A–Z a–z 0–9 + /`
        case standard
        /// `A–Z a–z 0–9 - _`
        case urlSafe

        fileprivate var table: StaticString {
            switch self {
            case .standard: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
            case .urlSafe: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            }
        }
    }

    /// Appends the base64 text of `bytes` to `out`.
    public static func encode(_ bytes: [UInt8], into out: inout [UInt8], alphabet: Alphabet = .standard, padding: Bool = true) {
        let table = alphabet.table.utf8Start
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
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
            if padding { out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")]) }
        case 2:
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(table[Int(group >> 18 & 0x3F)])
            out.append(table[Int(group >> 12 & 0x3F)])
            out.append(table[Int(group >> 6 & 0x3F)])
            if padding { out.append(UInt8(ascii: "=")) }
        default:
            break
        }
    }

    /// The base64 text of `bytes`.
    public static func encode(_ bytes: [UInt8], alphabet: Alphabet = .standard, padding: Bool = true) -> String {
        var out: [UInt8] = []
        self.encode(bytes, into: &out, alphabet: alphabet, padding: padding)
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of standard base64 text, or `nil` if it is not exactly that (a character
    /// outside the alphabet, misplaced `=`, a length no encoding has). With `paddingOptional`,
    /// the final `=`s may be left out, as Node's `Buffer.from(s, "base64")` allows.
    public static func decode(_ text: String, paddingOptional: Bool = false) -> [UInt8]? {
        var input = Array(text.utf8)
        if paddingOptional {
            switch input.count % 4 {
            case 0: break
            case 1: return nil
            case let remainder: input += repeatElement(UInt8(ascii: "="), count: 4 - remainder)
            }
        }
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
