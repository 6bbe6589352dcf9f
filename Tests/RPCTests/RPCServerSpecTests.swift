import SioJSON
import Testing

@testable import RPC

/// jsonrpc.org/specification § 7, end to end over a live socket; exact output lines.
@Suite(.timeLimit(.minutes(1))) struct RPCServerSpecTests {
    static let vectors: [(String, [String])] = [
        (#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#, [#"{"jsonrpc":"2.0","id":1,"result":19}"#]),
        (#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#, [#"{"jsonrpc":"2.0","id":2,"result":-19}"#]),
        (#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#, [#"{"jsonrpc":"2.0","id":3,"result":19}"#]),
        (#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#, [#"{"jsonrpc":"2.0","id":4,"result":19}"#]),
        (#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#, []),
        (#"{"jsonrpc": "2.0", "method": "foobar"}"#, []),
        (#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#, [#"{"jsonrpc":"2.0","id":"1","error":{"code":-32601,"message":"Method not found","data":{"type":"method_not_found","method":"foobar"}}}"#]),
        (#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#, ["-32700"]),
        (#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#, [#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: method must be a string","data":{"type":"invalid_request"}}}"#]),
        (#"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method""#, ["-32700"]),
        ("[]", [#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: empty batch","data":{"type":"invalid_request"}}}"#]),
        ("[1]", [#"[{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: not an object","data":{"type":"invalid_request"}}}]"#]),
        ("[1,2,3]", [#"[{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: not an object","data":{"type":"invalid_request"}}},{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: not an object","data":{"type":"invalid_request"}}},{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: not an object","data":{"type":"invalid_request"}}}]"#]),
        (
            #"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},{"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},{"foo": "boo"},{"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},{"jsonrpc": "2.0", "method": "get_data", "id": "9"}]"#,
            [#"[{"jsonrpc":"2.0","id":"1","result":7},{"jsonrpc":"2.0","id":"2","result":19},{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: jsonrpc must be \"2.0\"","data":{"type":"invalid_request"}}},{"jsonrpc":"2.0","id":"5","error":{"code":-32601,"message":"Method not found","data":{"type":"method_not_found","method":"foo.get"}}},{"jsonrpc":"2.0","id":"9","result":["hello",5]}]"#]
        ),
        (#"[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]"#, []),
        // Beyond JSON-RPC § 7: ids as written, invalid params naming the parameter, $binary
        // both ways.
        (#"{"jsonrpc":"2.0","method":"echo","params":{"x":1.50e0},"id":12345678901234567890}"#, [#"{"jsonrpc":"2.0","id":12345678901234567890,"result":{"x":1.50e0}}"#]),
        (#"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":1},"id":null}"#, [#"{"jsonrpc":"2.0","id":null,"error":{"code":-32602,"message":"Invalid params: subtrahend is required","data":{"type":"invalid_params","param":"subtrahend"}}}"#]),
        (#"{"jsonrpc":"2.0","method":"echo","params":[{"$binary":"AAE="}],"id":"b"}"#, [#"{"jsonrpc":"2.0","id":"b","result":[{"$binary":"AAE="}]}"#]),
    ]

    /// Every vector on one connection, each answered and then followed by a ping, so a missing or
    /// extra line shows and the connection is proven usable after every error.
    @Test func specExamples_overOneConnection() async throws {
        try await withServer { _, path in
            let client = try TestClient(path: path)
            for (index, (request, expected)) in Self.vectors.enumerated() {
                client.send(request + "\n")
                for line in expected {
                    let got = try await client.readLine()
                    if line.hasPrefix("-") {
                        #expect(got?.contains(#""id":null,"error":{"code":\#(line)"#) == true, "vector \(index): \(got ?? "EOF")")
                    } else {
                        #expect(got == line, "vector \(index)")
                    }
                }
                client.send(#"{"jsonrpc":"2.0","method":"echo","params":[\#(index)],"id":"ping"}"# + "\n")
                #expect(try await client.readLine() == #"{"jsonrpc":"2.0","id":"ping","result":[\#(index)]}"#, "vector \(index)")
            }
        }
    }

    @Test func peerCredentials_areTheClientProcess() async throws {
        try await withServer { _, path in
            let client = try TestClient(path: path)
            client.send(#"{"jsonrpc":"2.0","method":"whoami","id":1}"# + "\n")
            let line = try await client.readLine()
            #expect(line?.contains(#""uid":\#(getuid())"#) == true)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
