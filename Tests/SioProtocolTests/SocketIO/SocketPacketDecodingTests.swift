import SioJSON
import Testing
@testable import SioProtocol

/// socket.io-parser 4.2.6 decoder behaviour (`Decoder`; docs/behaviour.md § Test vectors).
@Suite struct SocketPacketDecodingTests {
    private func decode(_ text: String, maxAttachments: Int = 10) throws -> SocketPacket? {
        var decoder = SocketPacketDecoder(maxAttachments: maxAttachments)
        return try decoder.decode(text: text)
    }

    private func expectError(_ text: String, _ expected: SocketParseError, maxAttachments: Int = 10) {
        var decoder = SocketPacketDecoder(maxAttachments: maxAttachments)
        #expect(throws: expected, "\(text)") { try decoder.decode(text: text) }
    }

    @Test func connectReplies_carryTheSidAndPid() throws {
        let reply = try #require(try self.decode(#"0{"sid":"GNpWD7LbGCBNCr8GAAAB","pid":"YHcX2sdAF1z452-HAAAW"}"#))
        #expect(reply.type == .connect)
        #expect(reply.namespace == "/")
        guard case .json(let raw) = reply.data else { Issue.record("no payload"); return }
        let value = try raw.decode()
        #expect(value["sid"] == "GNpWD7LbGCBNCr8GAAAB")
        #expect(value["pid"] == "YHcX2sdAF1z452-HAAAW")

        let admin = try #require(try self.decode(#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#))
        #expect(admin.namespace == "/admin")
    }

    @Test func connectError_objectOrString() throws {
        let error = try #require(try self.decode(#"4/admin,{"message":"not authorized","data":{"code":42}}"#))
        #expect(error.type == .connectError)
        #expect(error.namespace == "/admin")
        let plain = try #require(try self.decode(#"4"plain string""#))
        #expect(plain.data == .json(RawJSON(unchecked: Array(#""plain string""#.utf8))))
    }

    @Test func events_keepTheirArgumentsAsWireText() throws {
        let event = try #require(try self.decode(#"2/admin,12["hello",1,"2",{"3":["4"]},null,true]"#))
        #expect(event.type == .event)
        #expect(event.namespace == "/admin")
        #expect(event.id == 12)
        guard case .event(let name, let arguments) = event.data else { Issue.record("not an event"); return }
        #expect(name == "hello")
        #expect(arguments.text.string == #"[1,"2",{"3":["4"]},null,true]"#)
        #expect(try arguments.values() == [1, "2", ["3": ["4"]], nil, true])
    }

    @Test func events_withoutArguments_andWithWhitespace() throws {
        let bare = try #require(try self.decode(#"2["foo"]"#))
        guard case .event(_, let arguments) = bare.data else { Issue.record("not an event"); return }
        #expect(arguments.text.string == "[]")
        let spaced = try #require(try self.decode(#"2[ "foo" , 1 , 2 ]"#))
        guard case .event(_, let spacedArguments) = spaced.data else { Issue.record("not an event"); return }
        #expect(try spacedArguments.values() == [1, 2])
    }

    @Test func numericEventName_isValid() throws {
        let packet = try #require(try self.decode(#"2[123,"numeric event name"]"#))
        guard case .event(let name, _) = packet.data else { Issue.record("not an event"); return }
        #expect(name.description == "123")
        #expect(packet.encodedText == #"2[123,"numeric event name"]"#)
    }

    @Test func encodedVectors_roundTrip() throws {
        let vectors = [
            "0", "0/admin,", #"0{"token":"123"}"#, #"0/admin,{"token":"123"}"#, "1", "1/admin,",
            #"2["foo"]"#, #"2/admin,["bar"]"#, #"212["foo"]"#, #"2/admin,12["x"]"#, "312[]", #"3/admin,13["bar"]"#,
            #"2["emoji","€😀"]"#, #"4{"message":"Not authorized"}"#,
        ]
        for vector in vectors {
            let packet = try #require(try self.decode(vector), "\(vector)")
            #expect(packet.encodedText == vector)
        }
    }

    @Test func binaryEvent_waitsForItsAttachments_thenPutsThemInPlace() throws {
        var decoder = SocketPacketDecoder()
        #expect(try decoder.decode(text: #"52-7["nested",{"a":{"b":[{"_placeholder":true,"num":0}]},"c":{"_placeholder":true,"num":1}}]"#) == nil)
        #expect(decoder.isReconstructing)
        #expect(try decoder.decode(attachment: [9]) == nil)
        let packet = try #require(try decoder.decode(attachment: []))
        #expect(packet.type == .binaryEvent)
        #expect(packet.id == 7)
        guard case .event(let name, let arguments) = packet.data else { Issue.record("not an event"); return }
        #expect(name == "nested")
        #expect(try arguments.values() == [["a": ["b": [.binary([9])]], "c": .binary([])]])
        #expect(!decoder.isReconstructing)
    }

    @Test func binaryAck_fromTheComplianceSuite_vector28() throws {
        var decoder = SocketPacketDecoder()
        #expect(try decoder.decode(text: #"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#) == nil)
        #expect(try decoder.decode(.binary([1])) == nil)
        let ack = try #require(try decoder.decode(.binary([2])))
        #expect(ack.type == .binaryAck)
        #expect(ack.id == 789)
        guard case .ack(let arguments) = ack.data else { Issue.record("not an ack"); return }
        #expect(try arguments.values() == [.binary([1]), .binary([2])])
    }

    @Test func binaryPacket_withZeroAttachments_isDeliveredAtOnce() throws {
        let packet = try #require(try self.decode(#"50-["x"]"#))
        #expect(packet.type == .binaryEvent)
    }

    @Test func lenientCases_decidedExplicitly() throws {
        // `2`: an event without payload decodes; sockets ignore it.
        #expect(try self.decode("2")?.data == nil)
        // `3`: an ack without payload has no arguments (docs/quirks.md #26).
        #expect(try self.decode("35")?.data == .ack(.empty))
        // `2/admin["x"]`: no comma, so everything is the namespace (as the reference reads it).
        #expect(try self.decode(#"2/admin["x"]"#)?.namespace == #"/admin["x"]"#)
        // `2 ["x"]`: only digits make an ack id.
        let spaced = try #require(try self.decode(#"2 ["x"]"#))
        #expect(spaced.id == nil)
        // CONNECT_ERROR with a string payload keeps it.
        #expect(try self.decode(#"4"refused""#)?.type == .connectError)
    }

    @Test func rejectionVectors_areTypedErrors() {
        self.expectError("8", .unknownPacketType)
        self.expectError("abc", .unknownPacketType)
        self.expectError("", .unknownPacketType)
        self.expectError(#"2["connect"]"#, .invalidPayload)
        self.expectError(#"2["disconnect"]"#, .invalidPayload)
        self.expectError(#"2["newListener"]"#, .invalidPayload)
        self.expectError("2{}", .invalidPayload)
        self.expectError(#"2"str""#, .invalidPayload)
        self.expectError("2[]", .invalidPayload)
        self.expectError(#"2[null]"#, .invalidPayload)
        self.expectError(#"2abc["x"]"#, .invalidPayload)
        self.expectError(#"21.5["x"]"#, .invalidPayload)
        self.expectError(#"1{"x":1}"#, .invalidPayload)
        self.expectError("0[]", .invalidPayload)
        self.expectError(#"0"str""#, .invalidPayload)
        self.expectError(#"3{}"#, .invalidPayload)
        self.expectError("4[]", .invalidPayload)
        self.expectError(#"2["x""#, .invalidPayload)
        self.expectError(#"5a-["x"]"#, .illegalAttachments)
        self.expectError(#"5-["x"]"#, .illegalAttachments)
        self.expectError(#"51["x"]"#, .illegalAttachments)
        self.expectError(#"511-["x"]"#, .tooManyAttachments)
        self.expectError(#"299999999999999999999999["x"]"#, .invalidAckID)
    }

    @Test func maxAttachments_isConfigurable() throws {
        #expect(try self.decode(#"511-["x"]"#, maxAttachments: 20) == nil)
    }

    @Test func placeholderOutOfRange_isIllegalAttachments() throws {
        var decoder = SocketPacketDecoder()
        _ = try decoder.decode(text: #"52-["a",{"_placeholder":true,"num":5}]"#)
        _ = try decoder.decode(attachment: [1])
        #expect(throws: SocketParseError.illegalAttachments) { try decoder.decode(attachment: [2]) }
    }

    @Test func streamState_errors() throws {
        var decoder = SocketPacketDecoder()
        #expect(throws: SocketParseError.binaryWhileNotReconstructing) { try decoder.decode(attachment: [1]) }
        _ = try decoder.decode(text: #"51-["a",{"_placeholder":true,"num":0}]"#)
        #expect(throws: SocketParseError.plaintextWhileReconstructing) { try decoder.decode(text: #"2["b"]"#) }
        // The decoder recovers: the next packet decodes.
        #expect(try decoder.decode(text: #"2["b"]"#) != nil)
    }

    @Test func garbage_neverCrashes() {
        let inputs = ["5", "5-", "55", "2/", "2/,", "2/admin,", "29", "3/a,", "4", "0/x,{", "6-1[]", "2[\u{0}]", "2[\"\\ud800\"]"]
        for input in inputs {
            var decoder = SocketPacketDecoder()
            _ = try? decoder.decode(text: input)
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<12, using: &random)
            let alphabet = Array(#"0123456-/,[]{}"x:a"#)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
            var decoder = SocketPacketDecoder()
            _ = try? decoder.decode(text: text)
        }
    }
}
