import Testing

@testable import SioJSON

@Suite("JSONScanner and RawJSON")
struct ScannerTests {
    private func scanArray(_ text: String) throws(JSONError) -> [String]? {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(JSONError) in
            try JSONScanner.scanArray(buffer)?.map { String(decoding: bytes[$0], as: UTF8.self) }
        }
    }

    @Test func scanArray_returnsElementRangesWithoutWhitespace() throws {
        #expect(try self.scanArray(#"[ "tick" , {"n":1} ]"#) == [#""tick""#, #"{"n":1}"#])
        let bytes = Array(#" [ "tick" , {"n":1} ] "#.utf8)
        let ranges = try bytes.withUnsafeBufferPointer { buffer throws(JSONError) in try JSONScanner.scanArray(buffer) }
        #expect(ranges == [3..<9, 12..<19])
    }

    @Test func scanArray_handlesEmptyAndNestedArrays() throws {
        #expect(try self.scanArray(" [ ] ") == [])
        #expect(try self.scanArray(#"[[1,[2]],"]",-0.5e1,null]"#) == ["[1,[2]]", #""]""#, "-0.5e1", "null"])
    }

    @Test func scanArray_ofNonArray_validatesAndReturnsNil() throws {
        #expect(try self.scanArray(#" {"a":[1]} "#) == nil)
        #expect(try self.scanArray("1") == nil)
        #expect(try self.scanArray(#""s""#) == nil)
        #expect(throws: JSONError.self) { try self.scanArray(#"{"a":[1}"#) }
    }

    @Test func scanArray_validatesTrailingBytes() {
        #expect(throws: JSONError(.trailingData, at: 3, byte: UInt8(ascii: "]"))) { try self.scanArray("[1]]") }
    }

    @Test func skipValue_returnsTheIndexPastOneValue() throws {
        let bytes = Array(#"  {"a":"}"} [1]"#.utf8)
        try bytes.withUnsafeBufferPointer { buffer throws(JSONError) in
            let end = try JSONScanner.skipValue(in: buffer, from: 0)
            #expect(end == 11)
            #expect(try JSONScanner.skipValue(in: buffer, from: end) == 15)
            #expect(throws: JSONError(.unexpectedEnd, at: 15)) { try JSONScanner.skipValue(in: buffer, from: 15) }
            #expect(throws: JSONError(.unexpectedEnd, at: 15)) { try JSONScanner.skipValue(in: buffer, from: 99) }
        }
    }

    @Test func decodeString_withAndWithoutEscapes() throws {
        let bytes = Array(#"["plain é","a\"b\\c\/\n\u00e9\ud83d\ude00"]"#.utf8)
        try bytes.withUnsafeBufferPointer { buffer throws(JSONError) in
            let ranges = try JSONScanner.scanArray(buffer) ?? []
            #expect(ranges.count == 2)
            #expect(try JSONScanner.decodeString(buffer, ranges[0]) == "plain é")
            #expect(try JSONScanner.decodeString(buffer, ranges[1]) == "a\"b\\c/\né😀")
        }
    }

    @Test func decodeString_rejectsRangesThatAreNotOneString() {
        let bytes = Array(#"["ab",1]"#.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            #expect(throws: JSONError.self) { try JSONScanner.decodeString(buffer, 1..<4) }
            #expect(throws: JSONError.self) { try JSONScanner.decodeString(buffer, 6..<7) }
            #expect(throws: JSONError.self) { try JSONScanner.decodeString(buffer, 1..<99) }
            #expect(throws: JSONError.self) { try JSONScanner.decodeString(buffer, 0..<8) }
        }
    }

    @Test(arguments: [
        ("null", JSONKind.null), (" true", .bool), ("false", .bool), ("-1", .number), ("7", .number),
        (#""s""#, .string), ("\n[", .array), ("{", .object),
    ])
    func kind_isReadFromTheFirstByte(text: String, kind: JSONKind) {
        Array(text.utf8).withUnsafeBufferPointer { #expect(JSONScanner.kind(of: $0) == kind) }
    }

    @Test func kind_isNilWithoutAValueStart() {
        for text in ["", "  ", "x", "]"] {
            Array(text.utf8).withUnsafeBufferPointer { #expect(JSONScanner.kind(of: $0) == nil) }
        }
    }

    @Test func rawJSON_validatesTrimsAndDecodes() throws {
        let raw = try RawJSON(validating: Array(" \n{\"n\":1} \t".utf8))
        #expect(raw.string == #"{"n":1}"#)
        #expect(raw.description == raw.string)
        #expect(try raw.decode() == ["n": 1])
        #expect(throws: JSONError(.trailingData, at: 2, byte: UInt8(ascii: "2"))) { try RawJSON(validating: Array("1 2".utf8)) }
        #expect(throws: JSONError(.unexpectedEnd, at: 0)) { try RawJSON(validating: [UInt8]()) }
        #expect(try RawJSON(validating: "[1]".utf8).bytes == Array("[1]".utf8))
    }

    @Test func rawJSON_fromValue_andDecodeOptions() throws {
        let raw = RawJSON(JSON.array(["b", .binary([0xFF])]))
        #expect(raw.string == #"["b",{"type":"Buffer","data":[255]}]"#)
        #expect(try raw.decode() == ["b", ["type": "Buffer", "data": [255]]])
        #expect(RawJSON(unchecked: Array("1".utf8)) == RawJSON(JSON(integerLiteral: 1)))
    }

    @Test func countElements_validatesTheWholeDocument() {
        func count(_ text: String) -> Int? {
            Array(text.utf8).withUnsafeBufferPointer { JSONScanner.countElements($0) }
        }
        #expect(count(" [] ") == 0)
        #expect(count(#"[1, "a", {"b": [2]}]"#) == 3)
        #expect(count("[1,2,3,4,5,6") == nil)
        #expect(count("[1,2,3]\u{EA}") == nil, "trailing bytes: not JSON (found by Fuzz/, rpc)")
        #expect(count("[1,2,x]") == nil)
        #expect(count(#"{"a":1}"#) == nil)
    }
}
