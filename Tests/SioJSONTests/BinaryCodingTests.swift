import Testing

@testable import SioJSON

/// `.binary` in JSON text: written as `JSON.stringify` writes a Node.js `Buffer` unless a
/// format says otherwise, and read as bytes only through a format's ``JSONBinaryCoding``.
@Suite struct BinaryCodingTests {
    /// A format that writes bytes as a hex string under `"hex"`.
    private struct Hex: JSONBinaryCoding {
        func bytes(of object: JSONObject) throws(JSONBinaryError) -> [UInt8]? {
            guard case .string(let text)? = object["hex"] else { return nil }
            guard text.count.isMultiple(of: 2) else { throw JSONBinaryError("odd hex") }
            var bytes: [UInt8] = []
            var index = text.startIndex
            while index < text.endIndex {
                let next = text.index(index, offsetBy: 2)
                guard let byte = UInt8(text[index..<next], radix: 16) else { throw JSONBinaryError("bad hex") }
                bytes.append(byte)
                index = next
            }
            return bytes
        }

        func write(_ bytes: [UInt8], to out: inout [UInt8]) {
            out.append(contentsOf: #"{"hex":""#.utf8)
            for byte in bytes { out.append(contentsOf: String(byte, radix: 16).leftPadded(to: 2).utf8) }
            out.append(contentsOf: #""}"#.utf8)
        }
    }

    @Test func bytes_withoutAFormat_areANodeBuffer_andReadBackAsAnObject() throws {
        let value: JSON = ["a", .binary([0, 255])]
        #expect(value.serialized == #"["a",{"type":"Buffer","data":[0,255]}]"#)
        #expect(try JSON(parsing: value.serialized) == ["a", ["type": "Buffer", "data": [0, 255]]])
    }

    @Test func aFormat_writesAndReadsItsOwnObjects() throws {
        let value: JSON = ["x": [.binary([0xAB, 0x01])], "y": ["hex": 1]]
        var out: [UInt8] = []
        var hex = Hex()
        value.write(to: &out, binary: &hex)
        #expect(String(decoding: out, as: UTF8.self) == #"{"x":[{"hex":"ab01"}],"y":{"hex":1}}"#)
        #expect(try JSON(parsing: out, options: JSONParseOptions(binary: Hex())) == value)
    }

    @Test func aFormatsRefusal_isAnInvalidBinaryError_atTheObject() {
        #expect(throws: JSONError(.invalidBinary("odd hex"), at: 1)) {
            try JSON(parsing: Array(#"[{"hex":"abc"}]"#.utf8), options: JSONParseOptions(binary: Hex()))
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}
