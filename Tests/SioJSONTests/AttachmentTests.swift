import Testing

@testable import SioJSON

@Suite("Socket.IO attachments and $binary")
struct AttachmentTests {
    private let attachments: [[UInt8]] = [[0xDE, 0xAD], [0xBE, 0xEF]]

    private func parse(_ text: String, attachments: [[UInt8]]? = nil, dollarBinary: Bool = false) throws(JSONError) -> JSON {
        try JSON(parsing: Array(text.utf8), options: JSONParseOptions(attachments: attachments, dollarBinary: dollarBinary))
    }

    @Test func placeholder_isReplacedByItsAttachment() throws {
        let value = try self.parse(#"["ev",{"_placeholder":true,"num":1}]"#, attachments: self.attachments)
        #expect(value == ["ev", .binary([0xBE, 0xEF])])
    }

    @Test func nestedPlaceholders_areReplaced() throws {
        let text = #"{"a":[{"num":0,"_placeholder":true}],"b":{"c":{"_placeholder":true,"num":1}}}"#
        let value = try self.parse(text, attachments: self.attachments)
        #expect(value == ["a": [.binary([0xDE, 0xAD])], "b": ["c": .binary([0xBE, 0xEF])]])
    }

    @Test func placeholders_areLeftAloneWithoutAttachments() throws {
        let text = #"{"_placeholder":true,"num":0}"#
        #expect(try self.parse(text).serialized == text)
    }

    @Test func placeholderNotTrue_staysAnObject() throws {
        let text = #"{"_placeholder":1,"num":0}"#
        #expect(try self.parse(text, attachments: self.attachments).serialized == text)
    }

    @Test(arguments: [
        #"{"_placeholder":true,"num":2}"#,
        #"{"_placeholder":true,"num":-1}"#,
        #"{"_placeholder":true,"num":"0"}"#,
        #"{"_placeholder":true,"num":0.5}"#,
        #"{"_placeholder":true}"#,
        #"[1,{"x":{"_placeholder":true,"num":7}}]"#,
    ])
    func illegalPlaceholder_throwsIllegalAttachments(text: String) {
        #expect {
            try self.parse(text, attachments: self.attachments)
        } throws: { error in
            (error as? JSONError)?.code == .illegalAttachments
                && (error as? JSONError)?.code.description == "illegal attachments"
        }
    }

    @Test func illegalPlaceholder_reportsTheObjectOffset() {
        #expect(throws: JSONError(.illegalAttachments, at: 1)) {
            try self.parse(#"[{"_placeholder":true,"num":5}]"#, attachments: [])
        }
    }

    @Test func placeholderWithIntegralFloatNum_isAccepted() throws {
        #expect(try self.parse(#"{"_placeholder":true,"num":1.0}"#, attachments: self.attachments) == .binary([0xBE, 0xEF]))
    }

    @Test func deconstruct_numbersDepthFirst() {
        let value: JSON = ["nested", ["a": ["b": [.binary([0])]], "c": .binary([1])]]
        var out: [UInt8] = []
        var attachments: [[UInt8]] = []
        value.write(to: &out, attachments: &attachments)
        #expect(
            String(decoding: out, as: UTF8.self)
                == #"["nested",{"a":{"b":[{"_placeholder":true,"num":0}]},"c":{"_placeholder":true,"num":1}}]"#
        )
        #expect(attachments == [[0], [1]])
    }

    @Test func deconstruct_thenReconstruct_roundTrips() throws {
        let value: JSON = [.binary([1, 2, 3]), ["x": .binary([])], "tail"]
        var out: [UInt8] = []
        var attachments: [[UInt8]] = []
        value.write(to: &out, attachments: &attachments)
        #expect(try JSON(parsing: out, options: JSONParseOptions(attachments: attachments)) == value)
    }

    @Test func dollarBinary_serializesAsBase64() {
        #expect(JSON.binary(Array("hello".utf8)).serialized == #"{"$binary":"aGVsbG8="}"#)
        #expect(JSON.array([.binary([]), .binary([0xFF]), .binary([0xFB, 0xFF])]).serialized
            == #"[{"$binary":""},{"$binary":"/w=="},{"$binary":"+/8="}]"#)
    }

    @Test func dollarBinary_parsesWhenAsked() throws {
        #expect(try self.parse(#"{"$binary":"aGVsbG8="}"#, dollarBinary: true) == .binary(Array("hello".utf8)))
        #expect(try self.parse(#"[{"$binary":""},{"$binary":"+/8="}]"#, dollarBinary: true) == [.binary([]), .binary([0xFB, 0xFF])])
        #expect(try self.parse(#"{"$binary":"aGVsbG8="}"#) == ["$binary": "aGVsbG8="])
    }

    @Test func dollarBinary_onlyForASingleStringMember() throws {
        for text in [#"{"$binary":"AA==","x":1}"#, #"{"$binary":1}"#, #"{"$other":"AA=="}"#] {
            #expect(try self.parse(text, dollarBinary: true).serialized == text)
        }
    }

    @Test(arguments: ["aGVsbG8", "aGV=bG8=", "a===", "aGVsbG8*", "====", "aGVsbG8=="])
    func dollarBinary_invalidBase64_throws(base64: String) {
        #expect(throws: JSONError(.invalidBase64, at: 0)) {
            try self.parse(#"{"$binary":"\#(base64)"}"#, dollarBinary: true)
        }
    }

    @Test func dollarBinary_roundTripsAllLengths() throws {
        for length in 0..<10 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let text = JSON.binary(bytes).serialized
            #expect(try self.parse(text, dollarBinary: true) == .binary(bytes))
        }
    }
}
