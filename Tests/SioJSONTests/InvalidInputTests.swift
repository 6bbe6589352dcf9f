import Testing

@testable import SioJSON

@Suite("Invalid input throws, never crashes")
struct InvalidInputTests {
    /// The error that parsing `bytes` throws, checked against the scanner's verdict.
    private func error(parsing bytes: [UInt8]) -> JSONError? {
        let parsed: JSONError?
        do {
            _ = try JSON(parsing: bytes)
            parsed = nil
        } catch {
            parsed = error
        }
        let scanned: JSONError?
        do {
            _ = try bytes.withUnsafeBufferPointer { buffer throws(JSONError) in try JSONScanner.scanArray(buffer) }
            scanned = nil
        } catch {
            scanned = error
        }
        #expect(parsed == scanned, "parser and scanner disagree")
        return parsed
    }

    @Test(arguments: [
        ("", JSONError.Code.unexpectedEnd),
        ("   ", .unexpectedEnd),
        ("[", .unexpectedEnd),
        ("[1,]", .unexpectedByte),
        ("[1 2]", .unexpectedByte),
        (#"{"a"}"#, .unexpectedByte),
        (#"{"a":}"#, .unexpectedByte),
        (#"{a:1}"#, .unexpectedByte),
        (#"{"a":1,}"#, .unexpectedByte),
        ("01", .invalidNumber),
        ("-01", .invalidNumber),
        ("1.", .invalidNumber),
        ("1.e3", .invalidNumber),
        ("1e", .invalidNumber),
        ("1e+", .invalidNumber),
        ("-", .invalidNumber),
        ("-a", .invalidNumber),
        (".5", .unexpectedByte),
        ("+1", .unexpectedByte),
        ("NaN", .unexpectedByte),
        ("Infinity", .unexpectedByte),
        ("tru", .unexpectedEnd),
        ("trUe", .unexpectedByte),
        ("nul", .unexpectedEnd),
        (#""\x""#, .invalidEscape),
        (#""\u12g4""#, .invalidEscape),
        (#""\u12"#, .unexpectedEnd),
        (#""abc"#, .unexpectedEnd),
        (#""\"#, .unexpectedEnd),
        ("\"a\nb\"", .unexpectedByte),
        ("\"\u{1}\"", .unexpectedByte),
        ("1 2", .trailingData),
        ("{} x", .trailingData),
        ("'a'", .unexpectedByte),
        ("[1]//", .trailingData),
    ])
    func invalidText_throws(text: String, code: JSONError.Code) {
        let error = self.error(parsing: Array(text.utf8))
        #expect(error?.code == code, "\(text) → \(String(describing: error))")
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22],  // never valid
        [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
        [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8 encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0xE2, 0x82, 0x22],  // truncated "€"
        [0x22, 0x80, 0x22],  // lone continuation byte
        [0x22, 0xE2, 0x82],  // truncated at the end of input
    ] as [[UInt8]])
    func invalidUTF8_throws(bytes: [UInt8]) {
        #expect(self.error(parsing: bytes)?.code == .invalidUTF8)
    }

    @Test func nonASCIIOutsideStrings_isAnUnexpectedByte() {
        #expect(self.error(parsing: [0xEF, 0xBB, 0xBF, 0x31])?.code == .unexpectedByte)
    }

    @Test func deepNesting_throwsTooDeep() {
        let error = self.error(parsing: Array(repeating: UInt8(ascii: "["), count: 10_000))
        #expect(error?.code == .tooDeep)
        #expect(error?.byteOffset == JSONScanner.maximumDepth)
        let objects = String(repeating: #"{"a":"#, count: 10_000)
        #expect(self.error(parsing: Array(objects.utf8))?.code == .tooDeep)
    }

    @Test func error_reportsOffsetAndByte() {
        let error = self.error(parsing: Array("[1,]".utf8))
        #expect(error?.byteOffset == 3)
        #expect(error?.description == "unexpected byte 0x5D (']') at byte offset 3")
        #expect(self.error(parsing: Array("[".utf8))?.description == "unexpected end of input at byte offset 1")
    }

    @Test func everyPrefixOfAValidText_throwsWithoutCrashing() {
        let text = Array(#"{"a":[1,-2.5e+3,"x\u00e9\n",true,false,null,{"b":{}}]}"#.utf8)
        for length in 0..<text.count {
            #expect(self.error(parsing: Array(text[..<length])) != nil)
        }
    }
}
