#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SioJSON
import Testing

@testable import RPC

/// Half-close, limits, backpressure and stop, over live sockets.
@Suite(.timeLimit(.minutes(1))) struct RPCServerConnectionTests {
    @Test func halfClose_stillAnswersEverythingOwed_thenCloses() async throws {
        let gate = Gate()
        try await withServer(gate: gate) { _, path in
            let client = try TestClient(path: path)
            client.send(#"{"jsonrpc":"2.0","method":"block","id":1}"# + "\n" + #"{"jsonrpc":"2.0","method":"echo","params":[2],"id":2}"#)
            client.shutdownWrite()  // the second line is unterminated: accepted at EOF
            await gate.waitStarted()
            gate.open()
            let lines = try await client.readToEOF()
            #expect(Set(lines) == [#"{"jsonrpc":"2.0","id":1,"result":"unblocked"}"#, #"{"jsonrpc":"2.0","id":2,"result":[2]}"#])
        }
    }

    /// Immediate methods start on the connection's event loop in the order their lines were
    /// sent, whenever they answer: the `n`-th `next` call counts `n`, though the answers come
    /// back from other threads in any order.
    @Test func immediateCalls_startInTheOrderTheLinesArrived() async throws {
        try await withServer { _, path in
            let client = try TestClient(path: path)
            let total = RPCLimits().maxConcurrentRequestsPerClient
            client.send((1...total).map { #"{"jsonrpc":"2.0","method":"next","id":\#($0)}"# + "\n" }.joined())
            var answered = 0
            while answered < total {
                let line = try #require(try await client.readLine())
                let response = try JSON(parsing: line)
                #expect(response["result"] == response["id"], "\(line)")
                answered += 1
            }
        }
    }

    @Test func halfClose_keepOpen_streamsNotificationsUntilCleared() async throws {
        try await withServer { server, path in
            let client = try TestClient(path: path)
            client.send(#"{"jsonrpc":"2.0","method":"whoami","id":1}"# + "\n" + "")
            let rpc = try connection(server, id: try connectionID(await client.readLine()))
            client.send(#"{"jsonrpc":"2.0","method":"subscribe","id":2}"# + "\n")
            #expect(try await client.readLine() == #"{"jsonrpc":"2.0","id":2,"result":true}"#)
            client.shutdownWrite()
            rpc.notify(method: "socket.event", params: ["n": 1])
            #expect(try await client.readLine() == #"{"jsonrpc":"2.0","method":"socket.event","params":{"n":1}}"#)
            rpc.notify(method: "socket.event", params: ["n": 2])
            rpc.setKeepOpen(false)
            #expect(try await client.readToEOF() == [#"{"jsonrpc":"2.0","method":"socket.event","params":{"n":2}}"#])
        }
    }

    @Test func overLongLine_errorWithNullID_thenClose() async throws {
        var limits = RPCLimits()
        limits.maxLineLength = 64
        try await withServer(limits: limits) { _, path in
            let client = try TestClient(path: path)
            client.send(#"{"jsonrpc":"2.0","method":"echo","id":1}"# + "\n" + String(repeating: "x", count: 200) + "\n" + #"{"jsonrpc":"2.0","method":"echo","id":3}"# + "\n")
            let lines = try await client.readToEOF()
            #expect(lines.count == 2)
            #expect(lines.contains(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: line longer than 64 bytes","data":{"type":"line_too_long","limit":64}}}"#))
        }
    }

    @Test func tooManyRequestsInFlight_overloaded_readerNotBlocked() async throws {
        var limits = RPCLimits()
        limits.maxConcurrentRequestsPerClient = 2
        let gate = Gate()
        try await withServer(limits: limits, gate: gate) { _, path in
            let client = try TestClient(path: path)
            client.send(#"{"jsonrpc":"2.0","method":"block","id":1}"# + "\n" + #"{"jsonrpc":"2.0","method":"block","id":2}"# + "\n")
            await gate.waitStarted(2)
            client.send(#"{"jsonrpc":"2.0","method":"echo","id":3}"# + "\n" + #"[{"jsonrpc":"2.0","method":"echo","id":4},1]"# + "\n")
            let overloaded = #""error":{"code":-32000,"message":"Overloaded: more than 2 requests in flight","data":{"type":"overloaded"}}"#
            #expect(try await client.readLine() == #"{"jsonrpc":"2.0","id":3,"# + overloaded + "}")
            #expect(try await client.readLine()?.hasPrefix(#"[{"jsonrpc":"2.0","id":4,"# + overloaded + "},") == true)
            gate.open(times: 2)
            #expect(try [await client.readLine(), await client.readLine()].compactMap { $0 }.count == 2)
            client.send(#"{"jsonrpc":"2.0","method":"echo","id":5}"# + "\n")
            #expect(try await client.readLine() == #"{"jsonrpc":"2.0","id":5,"result":null}"#)
        }
    }

    @Test func slowReader_dropsOldestNotifications_andIsTold_othersUnaffected() async throws {
        var limits = RPCLimits()
        limits.maxQueuedNotifications = 100
        try await withServer(limits: limits) { server, path in
            let slow = try TestClient(path: path, receiveBuffer: 4096)
            slow.send(#"{"jsonrpc":"2.0","method":"whoami","id":1}"# + "\n")
            let rpc = try connection(server, id: try connectionID(await slow.readLine()))
            let total = 50_000
            for n in 0..<total { rpc.notify(method: "socket.event", params: ["n": .number(JSONNumber(n))]) }
            // Every notify has reached the event loop once this round trip returns.
            try await rpc.channel.eventLoop.submit {}.get()

            let other = try TestClient(path: path, timeoutSeconds: 2)
            other.send(#"{"jsonrpc":"2.0","method":"echo","params":["fast"],"id":7}"# + "\n")
            #expect(try await other.readLine() == #"{"jsonrpc":"2.0","id":7,"result":["fast"]}"#)

            var received: [Int] = []
            var dropped = 0
            while received.last != total - 1, let line = try await slow.readLine() {
                let json = try JSON(parsing: line)
                if json["method"] == "events.lagged" {
                    dropped += json["params"]?["dropped"]?.intValue ?? 0
                } else if let n = json["params"]?["n"]?.intValue {
                    received.append(n)
                }
            }
            #expect(dropped > 0)
            #expect(received.count + dropped == total)
            #expect(received == received.sorted())
            #expect(received.last == total - 1)  // the newest are kept
        }
    }

    @Test func stop_withAPeerThatNeverReads_closesAfterCloseTimeout() async throws {
        var limits = RPCLimits()
        limits.closeTimeout = .milliseconds(200)
        // withServer returns only once run() has: every connection closed.
        try await withServer(limits: limits) { server, path in
            let stuck = try TestClient(path: path, receiveBuffer: 4096)
            stuck.send(#"{"jsonrpc":"2.0","method":"whoami","id":1}"# + "\n")
            let rpc = try connection(server, id: try connectionID(await stuck.readLine()))
            for n in 0..<5_000 { rpc.notify(method: "socket.event", params: ["n": .number(JSONNumber(n))]) }
            try await rpc.channel.eventLoop.submit {}.get()
            #expect(!rpc.channel.isWritable)
        }
    }

    @Test func maxClients_andPerUID_refuseWithOneErrorLine() async throws {
        var limits = RPCLimits()
        limits.maxClients = 2
        try await withServer(limits: limits) { _, path in
            let first = try TestClient(path: path)
            let second = try TestClient(path: path)
            for client in [first, second] {
                client.send(#"{"jsonrpc":"2.0","method":"echo","id":1}"# + "\n")
                #expect(try await client.readLine() == #"{"jsonrpc":"2.0","id":1,"result":null}"#)
            }
            let third = try TestClient(path: path)
            let lines = try await third.readToEOF()
            #expect(lines == [#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Overloaded: more than 2 clients","data":{"type":"overloaded"}}}"#])
        }
        limits = RPCLimits()
        limits.maxClientsPerUID = 1
        try await withServer(limits: limits) { _, path in
            let first = try TestClient(path: path)
            first.send(#"{"jsonrpc":"2.0","method":"echo","id":1}"# + "\n")
            #expect(try await first.readLine() == #"{"jsonrpc":"2.0","id":1,"result":null}"#)
            let second = try TestClient(path: path)
            #expect(try await second.readToEOF().first?.contains(#"clients of uid \#(getuid())"#) == true)
        }
    }

    @Test func stop_answersInFlightThenCloses() async throws {
        let gate = Gate()
        try await withServer(gate: gate) { server, path in
            let client = try TestClient(path: path)
            client.send(#"{"jsonrpc":"2.0","method":"block","id":1}"# + "\n")
            await gate.waitStarted()
            server.stop()
            #expect(access(path, F_OK) != 0)  // the socket file is gone: no new clients
            gate.open()
            #expect(try await client.readToEOF() == [#"{"jsonrpc":"2.0","id":1,"result":"unblocked"}"#])
        }
    }
}
