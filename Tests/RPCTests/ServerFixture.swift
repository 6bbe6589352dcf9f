#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import SioJSON
import Testing

@testable import RPC

/// A gate handlers wait on until the test opens it, and that tells the test they started.
final class Gate: Sendable {
    private let opened: AsyncStream<Void>
    private let openContinuation: AsyncStream<Void>.Continuation
    let started: AsyncStream<Void>
    private let startedContinuation: AsyncStream<Void>.Continuation

    init() {
        (self.opened, self.openContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (self.started, self.startedContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    func pass() async {
        self.startedContinuation.yield()
        for await _ in self.opened { break }
    }

    func open(times: Int = 1) { for _ in 0..<times { self.openContinuation.yield() } }

    func waitStarted(_ count: Int = 1) async {
        var seen = 0
        for await _ in self.started {
            seen += 1
            if seen == count { return }
        }
    }
}

/// The methods of jsonrpc.org/specification § 7, plus a few for the tests.
func testMethods(gate: Gate = Gate()) -> [String: RPCMethod] {
    @Sendable func numbers(_ params: JSON?) throws(RPCError) -> [Int] {
        guard let array = params?.arrayValue else { throw .invalidParams("params", "must be an array") }
        var ints: [Int] = []
        for (index, value) in array.enumerated() {
            guard let int = value.intValue else { throw .invalidParams("params[\(index)]", "must be an integer") }
            ints.append(int)
        }
        return ints
    }
    let tasks: [String: RPCHandler] = [
        "subtract": { params, _ throws(RPCError) in
            if case .object? = params {
                let named = try RPCParams(params)
                return .number(JSONNumber(try named.int("minuend") - named.int("subtrahend")))
            }
            let ints = try numbers(params)
            guard ints.count == 2 else { throw .invalidParams("params", "must hold two integers") }
            return .number(JSONNumber(ints[0] - ints[1]))
        },
        "sum": { params, _ throws(RPCError) in .number(JSONNumber(try numbers(params).reduce(0, +))) },
        "update": { _, _ in .null },
        "notify_hello": { _, _ in .null },
        "notify_sum": { _, _ in .null },
        "get_data": { _, _ in ["hello", 5] },
        "echo": { params, _ in params ?? .null },
        "whoami": { _, context in
            .object(["connection": .number(JSONNumber(context.connectionID)), "uid": context.peer.map { .number(JSONNumber(UInt64($0.uid))) } ?? .null])
        },
        "subscribe": { _, context in
            context.connection.setKeepOpen(true)
            return true
        },
        "block": { _, _ in
            await gate.pass()
            return "unblocked"
        },
    ]
    var methods = tasks.mapValues { RPCMethod.task($0) }
    // Runs on the connection's event loop as the line is read: the answers of a pipeline of
    // `next` calls count up in the order the lines were sent.
    let counter = NIOLockedValueBox(0)
    methods["next"] = .immediate { _, _, reply in
        let value = counter.withLockedValue { value -> Int in
            value += 1
            return value
        }
        DispatchQueue.global().async { reply.succeed(.number(JSONNumber(value))) }
    }
    return methods
}

/// Runs a server on a fresh socket path for the duration of `body`, then stops it and waits.
func withServer<T>(
    limits: RPCLimits = RPCLimits(),
    gate: Gate = Gate(),
    _ body: (RPCServer, String) async throws -> T
) async throws -> T {
    let directory = makeTemporaryDirectory()
    defer { removeTree(directory) }
    let path = directory + "/rpc.sock"
    let server = RPCServer(listen: .path(path), limits: limits, methods: testMethods(gate: gate))
    try await server.start()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await server.run() }
        do {
            let result = try await body(server, path)
            server.stop()
            try await group.waitForAll()
            return result
        } catch {
            server.stop()
            gate.open(times: 1000)
            try await group.waitForAll()
            throw error
        }
    }
}

/// The connection with this id, once the server registered it.
func connection(_ server: RPCServer, id: Int) throws -> RPCConnection {
    guard let connection = server.connections.first(where: { $0.id == id }) else { throw TestError("no connection \(id)") }
    return connection
}

/// The `connection` field of a whoami response line.
func connectionID(_ line: String?) throws -> Int {
    guard let line, let id = try JSON(parsing: line)["result"]?["connection"]?.intValue else { throw TestError("bad whoami: \(line ?? "EOF")") }
    return id
}
