import SioJSON
import Testing
@testable import SioProtocol

/// socket.io-parser 4.2.6 encoder outputs (docs/behaviour.md § Test vectors: produced by the
/// real parser).
@Suite struct SocketPacketEncodingTests {
    private func text(_ packet: SocketPacket) -> String { packet.encodedText }

    @Test func connect_vectors1to5() throws {
        #expect(self.text(.connect()) == "0")
        #expect(self.text(.connect(namespace: "/admin")) == "0/admin,")
        #expect(self.text(.connect(auth: ["token": "123"])) == #"0{"token":"123"}"#)
        #expect(self.text(.connect(namespace: "/admin", auth: ["token": "123"])) == #"0/admin,{"token":"123"}"#)
        #expect(self.text(.connect(auth: ["pid": "YHcX2sdAF1z452-HAAAW", "offset": "MzUPkW0"]))
            == #"0{"pid":"YHcX2sdAF1z452-HAAAW","offset":"MzUPkW0"}"#)
        #expect(self.text(.connect(auth: [:])) == "0{}")
    }

    @Test func serverConnectReplies_vectors6to11() throws {
        let reply = SocketPacket(type: .connect, data: .json(try RawJSON(validating: Array(#"{"sid":"wZX3oN0bSVIhsaknAAAI"}"#.utf8))))
        #expect(self.text(reply) == #"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#)
        let error = SocketPacket(type: .connectError, namespace: "/admin",
                                 data: .json(RawJSON(["message": "not authorized", "data": ["code": 42]])))
        #expect(self.text(error) == #"4/admin,{"message":"not authorized","data":{"code":42}}"#)
        let invalid = SocketPacket(type: .connectError, namespace: "/random", data: .json(RawJSON(["message": "Invalid namespace"])))
        #expect(self.text(invalid) == #"4/random,{"message":"Invalid namespace"}"#)
    }

    @Test func disconnect_vectors12and13() {
        #expect(self.text(.disconnect()) == "1")
        #expect(self.text(.disconnect(namespace: "/admin")) == "1/admin,")
    }

    @Test func events_vectors14to20() {
        #expect(self.text(.event("foo", .empty)) == #"2["foo"]"#)
        #expect(self.text(.event("bar", .empty, namespace: "/admin")) == #"2/admin,["bar"]"#)
        let mixed = EventArguments([1, "2", ["3": ["4"]], nil, true])
        #expect(self.text(.event("hello", mixed)) == #"2["hello",1,"2",{"3":["4"]},null,true]"#)
        #expect(self.text(.event("foo", .empty, id: 12)) == #"212["foo"]"#)
        #expect(self.text(.event("x", .empty, namespace: "/admin", id: 12)) == #"2/admin,12["x"]"#)
        #expect(self.text(.ack(.empty, id: 12)) == "312[]")
        #expect(self.text(.ack(EventArguments(["bar"]), namespace: "/admin", id: 13)) == #"3/admin,13["bar"]"#)
    }

    @Test func binaryEvent_vector21_onePlaceholderThenTheBytes() {
        let packet = SocketPacket.event("baz", EventArguments([.binary([1, 2, 3, 4])]))
        #expect(packet.type == .binaryEvent)
        #expect(packet.encoded() == [.text(#"51-["baz",{"_placeholder":true,"num":0}]"#), .binary([1, 2, 3, 4])])
    }

    @Test func binaryEvent_vector22_twoBuffersOnANamespace() {
        let packet = SocketPacket.event("baz", EventArguments([.binary([1, 2]), .binary([3, 4])]), namespace: "/admin")
        #expect(packet.encoded() == [
            .text(#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            .binary([1, 2]), .binary([3, 4]),
        ])
    }

    @Test func binaryEvent_vector23_nestedDepthFirstWithAck() {
        let arguments = EventArguments([["a": ["b": [.binary([9])]], "c": .binary([])]])
        let packet = SocketPacket.event("nested", arguments, id: 7)
        #expect(packet.encoded() == [
            .text(#"52-7["nested",{"a":{"b":[{"_placeholder":true,"num":0}]},"c":{"_placeholder":true,"num":1}}]"#),
            .binary([9]), .binary([]),
        ])
    }

    @Test func binaryAck_vector24() {
        let packet = SocketPacket.ack(EventArguments(["bar", .binary([1, 2, 3, 4])]), id: 15)
        #expect(packet.type == .binaryAck)
        #expect(packet.encoded() == [.text(#"61-15["bar",{"_placeholder":true,"num":0}]"#), .binary([1, 2, 3, 4])])
    }

    @Test func numericNameAndUnicode_vectors25to27() {
        let numeric = SocketPacket.event(.number(JSONNumber(123)), EventArguments(["numeric event name"]))
        #expect(self.text(numeric) == #"2[123,"numeric event name"]"#)
        #expect(self.text(.event("emoji", EventArguments(["€😀"]))) == #"2["emoji","€😀"]"#)
        #expect(self.text(.event("foo", EventArguments(["MzUPkW0"]))) == #"2["foo","MzUPkW0"]"#)
    }

    @Test func compliance_vector28_binaryWithAck() {
        let packet = SocketPacket.event(
            "message-with-ack", EventArguments([.binary([1]), .binary([2])]), id: 789
        )
        #expect(packet.encodedText == #"52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
    }

    @Test func jsonStringEscaping_matchesJSONStringify() {
        let packet = SocketPacket.event("s", EventArguments(["a\"b\\c\n\u{1}/é"]))
        #expect(packet.encodedText == #"2["s","a\"b\\c\n\u0001/é"]"#)
    }
}
