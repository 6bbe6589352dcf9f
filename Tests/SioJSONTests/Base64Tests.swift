import Testing
import SioJSON

/// RFC 4648 § 10's test vectors, in both alphabets, with and without padding.
@Suite struct Base64Tests {
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: vectors) func rfc4648(plain: String, encoded: String) {
        let bytes = Array(plain.utf8)
        #expect(Base64.encode(bytes) == encoded)
        #expect(Base64.decode(encoded) == bytes)
        let unpadded = String(encoded.prefix { $0 != "=" })
        #expect(Base64.encode(bytes, padding: false) == unpadded)
        #expect(Base64.decode(unpadded, paddingOptional: true) == bytes)
        #expect(encoded == unpadded || Base64.decode(unpadded) == nil, "padding is required unless optional")
    }

    @Test func urlSafeAlphabet() {
        #expect(Base64.encode([0xfb, 0xff], alphabet: .urlSafe, padding: false) == "-_8")
        #expect(Base64.encode([0xfb, 0xff]) == "+/8=")
    }

    @Test func refusesWhatIsNotBase64() {
        for text in ["Zg=", "Z", "Zm9v!", "Zg==Zg==", "=Zg=", "Zm9vY"] {
            #expect(Base64.decode(text) == nil, "\(text)")
        }
        #expect(Base64.decode("Zm9vY", paddingOptional: true) == nil, "a length no encoding has")
    }
}
