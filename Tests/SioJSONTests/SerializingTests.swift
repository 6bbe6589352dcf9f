import Testing

@testable import SioJSON

@Suite("Serializing like JSON.stringify")
struct SerializingTests {
    @Test func compact_noWhitespace_membersInOrder() {
        let value: JSON = ["b": [1, 2.5, "x"], "a": nil, "c": ["d": true]]
        #expect(value.serialized == #"{"b":[1,2.5,"x"],"a":null,"c":{"d":true}}"#)
        #expect(value.description == value.serialized)
    }

    @Test func strings_escapeOnlyQuoteBackslashAndControls() {
        let value = JSON.string("\"\\/\u{8}\u{C}\n\r\t\u{0}\u{1F}\u{7F}é€😀")
        #expect(value.serialized == "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u{7F}é€😀\"")
    }

    @Test func keys_areEscaped() {
        let value: JSON = ["a\"b\n": 1]
        #expect(value.serialized == #"{"a\"b\n":1}"#)
    }

    @Test func write_appendsToExistingBytes() {
        var out = Array("42".utf8)
        JSON.array([.null, .bool(false)]).write(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "42[null,false]")
    }

    @Test func numbers_areWrittenAsTheirText() {
        #expect(JSON.number(JSONNumber(unchecked: "1E400")).serialized == "1E400")
        #expect(JSON.number(JSONNumber(UInt64.max)).serialized == "18446744073709551615")
        #expect(JSON.number(JSONNumber(Int.min)).serialized == "-9223372036854775808")
    }
}
