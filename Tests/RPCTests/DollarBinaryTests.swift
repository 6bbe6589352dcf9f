import RPC
import SioJSON
import Testing

/// How siod's RPC carries bytes: `{"$binary":"<base64>"}`.
@Suite struct DollarBinaryTests {
    private func parse(_ text: String, dollarBinary: Bool = true) throws(JSONError) -> JSON {
        dollarBinary ? try JSON(parsingRPC: Array(text.utf8)) : try JSON(parsing: Array(text.utf8))
    }

    @Test func dollarBinary_serializesAsBase64() {
        #expect(JSON.binary(Array("hello".utf8)).rpcText == #"{"$binary":"aGVsbG8="}"#)
        #expect(JSON.array([.binary([]), .binary([0xFF]), .binary([0xFB, 0xFF])]).rpcText
            == #"[{"$binary":""},{"$binary":"/w=="},{"$binary":"+/8="}]"#)
    }

    @Test func dollarBinary_parsesWhenAsked() throws {
        #expect(try self.parse(#"{"$binary":"aGVsbG8="}"#) == .binary(Array("hello".utf8)))
        #expect(try self.parse(#"[{"$binary":""},{"$binary":"+/8="}]"#) == [.binary([]), .binary([0xFB, 0xFF])])
        #expect(try self.parse(#"{"$binary":"aGVsbG8="}"#, dollarBinary: false) == ["$binary": "aGVsbG8="])
    }

    @Test func dollarBinary_onlyForASingleStringMember() throws {
        for text in [#"{"$binary":"AA==","x":1}"#, #"{"$binary":1}"#, #"{"$other":"AA=="}"#] {
            #expect(try self.parse(text).rpcText == text)
        }
    }

    @Test(arguments: ["aGVsbG8", "aGV=bG8=", "a===", "aGVsbG8*", "====", "aGVsbG8=="])
    func dollarBinary_invalidBase64_throws(base64: String) {
        #expect {
            try self.parse(#"{"$binary":"\#(base64)"}"#)
        } throws: { error in
            (error as? JSONError)?.code == .invalidBinary("invalid base64") && (error as? JSONError)?.byteOffset == 0
        }
    }

    @Test func dollarBinary_roundTripsAllLengths() throws {
        for length in 0..<10 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let text = JSON.binary(bytes).rpcText
            #expect(try self.parse(text) == .binary(bytes))
        }
    }
}
