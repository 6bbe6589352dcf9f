import SioJSON
import Testing

@testable import RPC

/// jsonrpc.org/specification § 7 vectors and the validation rules of § 4–6, without sockets.
@Suite struct RPCMessageTests {
    private func message(_ text: String) -> RPCMessage { RPCMessage(line: Array(text.utf8)) }

    @Test func batch_ofMoreThanTheLimit_isRefusedWhole() {
        let entry = #"{"jsonrpc":"2.0","method":"n"}"#
        let atLimit = "[" + Array(repeating: entry, count: 1000).joined(separator: ",") + "]"
        guard case .batch(let items) = self.message(atLimit) else { Issue.record("1,000 entries are a batch"); return }
        #expect(items.count == 1000)
        let over = "[" + Array(repeating: entry, count: 1001).joined(separator: ",") + "]"
        guard case .invalid(let response) = self.message(over) else { Issue.record("1,001 entries are refused"); return }
        #expect(String(decoding: response.line, as: UTF8.self).contains(#""code":-32600"#))
        #expect(String(decoding: response.line, as: UTF8.self).contains("more than 1000"))
    }

    /// A long batch that is not JSON is a parse error, as any line that is not JSON (found by
    /// Fuzz/, rpc: `[1,2,3]` and a stray byte, with a batch limit of 2).
    @Test func batch_ofMoreThanTheLimit_butMalformed_isAParseError() {
        guard case .invalid(let response) = RPCMessage(line: Array("[1,2,3]\u{EA}".utf8), maxBatchEntries: 2) else {
            Issue.record("answered with one error")
            return
        }
        #expect(String(decoding: response.line, as: UTF8.self).contains(#""code":-32700"#))
    }
    private func invalidLine(_ text: String) -> String? {
        guard case .invalid(let response) = self.message(text) else { return nil }
        return String(decoding: response.line, as: UTF8.self)
    }

    @Test func decode_positionalRequest() {
        #expect(
            self.message(#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#)
                == .single(RPCCall(id: .number(JSONNumber(1)), method: "subtract", params: [42, 23]))
        )
    }

    @Test func decode_notificationHasNoID() {
        guard case .single(let call) = self.message(#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#) else {
            Issue.record("not a single call")
            return
        }
        #expect(call.isNotification)
    }

    @Test func decode_idsKeptExactly() {
        guard case .single(let call) = self.message(#"{"jsonrpc":"2.0","method":"m","id":1.50}"#) else { return }
        #expect(call.id?.serialized == "1.50")
        guard case .single(let null) = self.message(#"{"jsonrpc":"2.0","method":"m","id":null}"#) else { return }
        #expect(null.id == .null && !null.isNotification)
    }

    @Test func decode_invalidJSON_isParseErrorWithNullID() {
        #expect(
            self.invalidLine(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#)?
                .hasPrefix(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"#) == true
        )
    }

    @Test func decode_invalidRequestObject() {
        #expect(
            self.invalidLine(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#)
                == #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: method must be a string","data":{"type":"invalid_request"}}}"# + "\n"
        )
    }

    @Test func decode_invalidRequestEchoesAValidID() {
        #expect(self.invalidLine(#"{"jsonrpc":"1.0","method":"m","id":"a"}"#)?.contains(#""id":"a""#) == true)
        #expect(self.invalidLine(#"{"jsonrpc":"2.0","method":"m","id":[1]}"#)?.contains(#""id":null"#) == true)
        #expect(self.invalidLine(#"{"jsonrpc":"2.0","method":"m","params":3,"id":2}"#)?.contains(#""id":2"#) == true)
    }

    @Test func decode_emptyArray_isOneErrorNotAnArray() {
        #expect(self.invalidLine("[]")?.hasPrefix(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600"#) == true)
    }

    @Test func decode_batchOfNonObjects_isOneErrorEach() {
        guard case .batch(let items) = self.message("[1,2,3]") else {
            Issue.record("not a batch")
            return
        }
        #expect(items.count == 3)
        for item in items {
            guard case .answered(let response) = item else {
                Issue.record("not answered")
                return
            }
            #expect(response.id == .null)
            #expect(response.json["error"]?["code"] == .number(JSONNumber(-32600)))
        }
    }

    @Test func decode_dollarBinaryInParams() {
        guard case .single(let call) = self.message(#"{"jsonrpc":"2.0","method":"m","params":{"b":{"$binary":"AAE="}},"id":1}"#) else { return }
        #expect(call.params?["b"] == .binary([0, 1]))
    }

    @Test func error_dataCarriesTypeThenExtras() {
        let error = RPCError(code: -32001, type: "no_such_socket", message: "No such socket", data: ["socket": "chat"])
        #expect(error.json.serialized == #"{"code":-32001,"message":"No such socket","data":{"type":"no_such_socket","socket":"chat"}}"#)
    }

    @Test func params_namesTheParameter() throws {
        let params = try RPCParams(["x": 1, "s": "a"])
        #expect(throws: RPCError.invalidParams("y", "is required")) { try params.int("y") }
        #expect(throws: RPCError.invalidParams("s", "must be an integer")) { try params.int("s") }
        #expect(try params.optionalString("missing") == nil)
        #expect(try params.int("x") == 1)
        #expect(throws: RPCError.invalidParams("params", "must be an object")) { try RPCParams([1]) }
    }
}
