import SioJSON
import SioProtocol
import Testing

/// Socket.IO's binary attachments as placeholders (socket.io-parser `deconstructPacket`,
/// `_reconstructPacket`).
@Suite struct AttachmentsTests {
    private let attachments: [[UInt8]] = [[0xDE, 0xAD], [0xBE, 0xEF]]

    private func parse(_ text: String, attachments: [[UInt8]]? = nil) throws(JSONError) -> JSON {
        try JSON(parsing: Array(text.utf8), options: JSONParseOptions(binary: attachments.map { Attachments($0) }))
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
            (error as? JSONError)?.code == .invalidBinary("illegal attachments")
        }
    }

    @Test func illegalPlaceholder_reportsTheObjectOffset() {
        #expect {
            try self.parse(#"[{"_placeholder":true,"num":5}]"#, attachments: [])
        } throws: { error in
            (error as? JSONError)?.byteOffset == 1
        }
    }

    @Test func placeholderWithIntegralFloatNum_isAccepted() throws {
        #expect(try self.parse(#"{"_placeholder":true,"num":1.0}"#, attachments: self.attachments) == .binary([0xBE, 0xEF]))
    }

    @Test func deconstruct_numbersDepthFirst() {
        let value: JSON = ["nested", ["a": ["b": [.binary([0])]], "c": .binary([1])]]
        var out: [UInt8] = []
        var attachments = Attachments()
        value.write(to: &out, binary: &attachments)
        #expect(
            String(decoding: out, as: UTF8.self)
                == #"["nested",{"a":{"b":[{"_placeholder":true,"num":0}]},"c":{"_placeholder":true,"num":1}}]"#
        )
        #expect(attachments.attachments == [[0], [1]])
    }

    @Test func deconstruct_thenReconstruct_roundTrips() throws {
        let value: JSON = [.binary([1, 2, 3]), ["x": .binary([])], "tail"]
        var out: [UInt8] = []
        var attachments = Attachments()
        value.write(to: &out, binary: &attachments)
        #expect(try JSON(parsing: out, options: JSONParseOptions(binary: attachments)) == value)
    }
}
