import NIOCore
import SioJSON

/// A method handler that runs as a task: `params` as sent (or `nil`), the context; returns the
/// `result`. Calls of such methods run concurrently, up to the per-client limit.
public typealias RPCHandler = @Sendable (JSON?, RPCRequestContext) async throws(RPCError) -> JSON

/// How a method is run.
public enum RPCMethod: Sendable {
    /// Called on the connection's event loop, synchronously, in the order the calls arrived on
    /// the connection; it answers through its ``RPCReply``, at once or later, from any thread.
    /// For what must take effect in request order and never blocks (an emit hands its message
    /// to the Socket.IO connection before the next line is read).
    case immediate(@Sendable (JSON?, RPCRequestContext, RPCReply) -> Void)
    /// Runs as a task, concurrently with the connection's other calls.
    case task(RPCHandler)
}

/// Answers one call of an ``RPCMethod/immediate(_:)`` method. Exactly one of its methods must
/// be called, once, from any thread.
public struct RPCReply: Sendable {
    let line: NIOLoopBound<PendingLine>
    let index: Int
    let call: RPCCall

    /// Answers with `result`.
    public func succeed(_ result: JSON) {
        self.answer(.success(result))
    }

    /// Answers with `error`.
    public func fail(_ error: RPCError) {
        self.answer(.failure(error))
    }

    /// Answers with `outcome`.
    public func answer(_ outcome: Result<JSON, RPCError>) {
        let response = self.call.isNotification ? nil : RPCResponse(id: self.call.id ?? .null, outcome: outcome)
        let line = self.line
        let index = self.index
        if line.eventLoop.inEventLoop {
            line.value.set(index, response)
        } else {
            line.eventLoop.execute { line.value.set(index, response) }
        }
    }
}

/// The calls of one request line until every one is answered; then its response line (a
/// single response, a batch, or nothing for notifications) is written. Confined to the
/// connection's event loop.
final class PendingLine {
    private let handler: RPCConnectionHandler
    private let isBatch: Bool
    private let calls: Int
    private var responses: [RPCResponse?]
    private var remaining: Int
    private var followUps: [FollowUps] = []

    init(handler: RPCConnectionHandler, items: Int, calls: Int, isBatch: Bool) {
        self.handler = handler
        self.isBatch = isBatch
        self.calls = calls
        self.responses = [RPCResponse?](repeating: nil, count: items)
        self.remaining = items
    }

    func addFollowUps(_ followUps: FollowUps) {
        self.followUps.append(followUps)
    }

    func set(_ index: Int, _ response: RPCResponse?) {
        self.responses[index] = response
        self.remaining -= 1
        guard self.remaining == 0 else { return }
        let answered = self.responses.compactMap { $0 }
        let line: [UInt8]?
        if self.isBatch {
            // Only notifications: nothing at all, not even `[]` (JSON-RPC 2.0 § 6).
            line = answered.isEmpty ? nil : RPCResponse.batchLine(answered)
        } else {
            line = answered.first?.line
        }
        self.handler.completed(line: line, calls: self.calls)
        for followUps in self.followUps { followUps.run() }
    }
}
