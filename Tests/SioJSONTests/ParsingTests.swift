import Testing

@testable import SioJSON

@Suite("Parsing and round trips")
struct ParsingTests {
    /// Parses `text` and serializes it again.
    private func roundTrip(_ text: String) throws -> String {
        try JSON(parsing: text).serialized
    }

    @Test(arguments: [
        "12345678901234567890",
        "-0",
        "1.5e-300",
        "1E400",
        "0",
        "-12.5E+3",
        #""€😀""#,
        #"[1,"a",{"b":[true,false,null]},[],{}]"#,
        #"{"z":1,"a":2,"m":{"y":[{"x":null}]}}"#,
        #"{"a":1,"a":2}"#,
        #""a/b""#,
        #""quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f nul \u0000 us \u001f""#,
    ])
    func roundTrip_isExact(text: String) throws {
        #expect(try self.roundTrip(text) == text)
    }

    @Test func whitespace_aroundAndInside_isDropped() throws {
        #expect(try self.roundTrip(" \t\r\n[ 1 , { \"a\" : [ ] } ]\n") == #"[1,{"a":[]}]"#)
    }

    @Test func escapes_decodeAndReserializeAsJavaScriptDoes() throws {
        #expect(try JSON(parsing: #""\u00e9""#) == "é")
        #expect(try self.roundTrip(#""\u00e9""#) == #""é""#)
        #expect(try self.roundTrip(#""\/""#) == #""/""#)
        #expect(try self.roundTrip(#""\u0041\u20AC""#) == #""A€""#)
        #expect(try JSON(parsing: #""\ud83d\ude00""#) == "😀")
        #expect(try self.roundTrip(#""\u0007\u007f""#) == "\"\\u0007\u{7F}\"")
    }

    @Test func loneSurrogateEscapes_decodeAsReplacementCharacter() throws {
        #expect(try JSON(parsing: #""\ud800""#) == "\u{FFFD}")
        #expect(try JSON(parsing: #""\udc00x""#) == "\u{FFFD}x")
        #expect(try JSON(parsing: #""\ud800\u0041""#) == "\u{FFFD}A")
        #expect(try JSON(parsing: #""\ud800\ud800\udc00""#) == "\u{FFFD}\u{10000}")
    }

    @Test func nulEscape_isKept() throws {
        #expect(try JSON(parsing: #""a\u0000b""#) == .string("a\u{0}b"))
    }

    @Test func duplicateKeys_lookupTakesLast_serializationKeepsAll() throws {
        let value = try JSON(parsing: #"{"a":1,"b":2,"a":3}"#)
        #expect(value["a"]?.intValue == 3)
        #expect(value.objectValue?.keys == ["a", "b", "a"])
        #expect(value.serialized == #"{"a":1,"b":2,"a":3}"#)
    }

    @Test func nested_structure_parsesToTree() throws {
        let value = try JSON(parsing: #"["tick",{"n":1,"list":[1.5,"x",null]}]"#)
        #expect(value == ["tick", ["n": 1, "list": [1.5, "x", nil]]])
        #expect(value[1]?["list"]?[0]?.doubleValue == 1.5)
    }

    @Test func bytes_andNonContiguousCollections_parseAlike() throws {
        let text = #"{"k":[1,2,"é"]}"#
        let expected = try JSON(parsing: text)
        #expect(try JSON(parsing: Array(text.utf8)) == expected)
        #expect(try JSON(parsing: Array(text.utf8)[...]) == expected)
        #expect(try JSON(parsing: text.utf8.lazy.map { $0 }) == expected)
    }

    @Test func maximumDepth_isAccepted() throws {
        let depth = JSONScanner.maximumDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(try self.roundTrip(text) == text)
    }
}

@Suite("Strings at every offset (word-at-a-time paths)")
struct StringOffsetTests {
    @Test(arguments: ["\"", "\\", "\n", "\u{1}", "é", "😀", "\u{7F}", "/"])
    func specialCharacter_atEveryOffset_roundTrips(special: String) throws {
        for offset in 0..<20 {
            let text = String(repeating: "a", count: offset) + special + String(repeating: "b", count: 19 - offset)
            let serialized = JSON.string(text).serialized
            #expect(try JSON(parsing: serialized) == .string(text))
            #expect(try JSON(parsing: serialized).serialized == serialized)
        }
    }

    @Test func rawControlCharacter_atEveryOffset_isRejected() {
        for offset in 0..<20 {
            let text = "\"" + String(repeating: "a", count: offset) + "\u{1F}" + String(repeating: "b", count: 19 - offset) + "\""
            #expect(throws: JSONError(.unexpectedByte, at: offset + 1, byte: 0x1F)) { try JSON(parsing: text) }
        }
    }
}
