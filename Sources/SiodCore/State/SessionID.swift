import SioJSON

/// A socket's persistent session ID: 128 random bits, URL-safe base64 without padding
/// (22 characters), drawn once per named socket and sent in the `auth` payload of every
/// CONNECT (docs/behaviour.md § Sessions). It is a secret: it never reaches a log.
public enum SessionID {
    /// A new session ID from `random`.
    public static func generate(using random: inout some RandomNumberGenerator) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            var word = random.next()
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return Self.base64URL(bytes)
    }

    /// A new session ID from the system's generator.
    public static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        return Self.generate(using: &random)
    }

    /// Whether `text` looks like a session ID siod would accept from a user: 16 to 256
    /// URL-safe characters.
    public static func isValid(_ text: String) -> Bool {
        (16...256).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Base64.encode(bytes, alphabet: .urlSafe, padding: false)
    }
}
