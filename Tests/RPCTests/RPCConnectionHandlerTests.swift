import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import SioJSON
import Testing

@testable import RPC

/// The connection handler alone, on an `EmbeddedChannel`: each rule of its life (half-close,
/// subscriptions holding it open, a line too long, the per-client limit, one flush per turn)
/// checked step by step, with no socket and no timing.
@Suite struct RPCConnectionHandlerTests {
    /// A handler in a channel, with methods the test drives: `echo` answers at once, `hold`
    /// answers when the test says, `subscribe` keeps the connection open after a half-close.
    final class Harness {
        let channel = EmbeddedChannel()
        let handler: RPCConnectionHandler
        let held = NIOLockedValueBox<[RPCReply]>([])
        private(set) var flushes = 0

        init(limits: RPCLimits = RPCLimits(), pending: PendingBytes? = nil) throws {
            let held = self.held
            let methods: [String: RPCMethod] = [
                "echo": .immediate { params, _, reply in reply.succeed(params ?? .null) },
                "hold": .immediate { _, _, reply in held.withLockedValue { $0.append(reply) } },
                "subscribe": .immediate { _, context, reply in
                    context.connection.setKeepOpen(true)
                    reply.succeed(true)
                },
            ]
            self.handler = RPCConnectionHandler(limits: limits, methods: methods, pending: pending)
            self.handler.connection = RPCConnection(id: 1, peer: nil, handler: self.handler, channel: self.channel)
            let spy = OutboundSpy()
            spy.onFlush = { [unowned self] in self.flushes += 1 }
            try self.channel.pipeline.syncOperations.addHandler(spy)
            try self.channel.pipeline.syncOperations.addHandler(self.handler)
            try self.channel.connect(to: SocketAddress(unixDomainSocketPath: "/siod-test")).wait()
        }

        /// Sends `text` as one read, then runs the tasks it queued (the flush).
        func send(_ text: String) throws {
            try self.channel.writeInbound(ByteBuffer(string: text))
            self.channel.embeddedEventLoop.run()
        }

        /// The client shuts its write side.
        func halfClose() {
            self.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            self.channel.embeddedEventLoop.run()
        }

        /// Every line written so far, as text.
        func lines() throws -> [String] {
            var lines: [String] = []
            while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
                lines += String(buffer: buffer).split(separator: "\n").map(String.init)
            }
            return lines
        }

        func answerHeld() {
            for reply in self.held.withLockedValue({ held in defer { held = [] }; return held }) { reply.succeed("late") }
            self.channel.embeddedEventLoop.run()
        }

        var isOpen: Bool { self.channel.isActive }
    }

    /// Sees the flushes and reads on their way to the channel.
    final class OutboundSpy: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var onFlush: () -> Void = {}
        var onRead: () -> Void = {}
        func flush(context: ChannelHandlerContext) {
            self.onFlush()
            context.flush()
        }
        func read(context: ChannelHandlerContext) {
            self.onRead()
            context.read()
        }
    }

    @Test func halfClose_answersWhatIsOwed_thenCloses() throws {
        let h = try Harness()
        try h.send(#"{"jsonrpc":"2.0","id":1,"method":"hold"}"# + "\n")
        h.halfClose()
        #expect(h.isOpen, "an answer is owed")
        #expect(h.handler.stateForTesting == .inputEnded(.halfClosed))
        h.answerHeld()
        #expect(try h.lines() == [#"{"jsonrpc":"2.0","id":1,"result":"late"}"#])
        #expect(!h.isOpen)
    }

    @Test func halfClose_lastLineWithoutNewline_isAnswered() throws {
        let h = try Harness()
        try h.send(#"{"jsonrpc":"2.0","id":7,"method":"echo","params":[1]}"#)
        #expect(try h.lines().isEmpty, "no line yet")
        h.halfClose()
        #expect(try h.lines() == [#"{"jsonrpc":"2.0","id":7,"result":[1]}"#])
        #expect(!h.isOpen)
    }

    @Test func subscriptions_holdAHalfClosedConnectionOpen_untilReleased() throws {
        let h = try Harness()
        try h.send(#"{"jsonrpc":"2.0","id":1,"method":"subscribe"}"# + "\n")
        h.halfClose()
        #expect(h.isOpen, "subscribed: notifications still come")
        h.handler.connection?.notify(method: "socket.event", params: ["n": 1])
        h.channel.embeddedEventLoop.run()
        #expect(try h.lines() == [#"{"jsonrpc":"2.0","id":1,"result":true}"#, #"{"jsonrpc":"2.0","method":"socket.event","params":{"n":1}}"#])
        h.handler.connection?.setKeepOpen(false)
        h.channel.embeddedEventLoop.run()
        #expect(!h.isOpen)
    }

    @Test func stopping_closesEvenASubscribedConnection_afterItsAnswers() throws {
        let h = try Harness()
        try h.send(#"{"jsonrpc":"2.0","id":1,"method":"subscribe"}"# + "\n" + #"{"jsonrpc":"2.0","id":2,"method":"hold"}"# + "\n")
        h.handler.beginShutdown()
        #expect(h.handler.stateForTesting == .inputEnded(.stopped))
        try h.send(#"{"jsonrpc":"2.0","id":3,"method":"echo"}"# + "\n")
        #expect(h.isOpen)
        h.answerHeld()
        #expect(try h.lines() == [#"{"jsonrpc":"2.0","id":1,"result":true}"#, #"{"jsonrpc":"2.0","id":2,"result":"late"}"#], "nothing read after the stop")
        #expect(!h.isOpen)
    }

    @Test func lineTooLong_isAnsweredOnce_andEndsTheInput() throws {
        var limits = RPCLimits()
        limits.maxLineLength = 64
        let h = try Harness(limits: limits)
        try h.send(#"{"jsonrpc":"2.0","id":1,"method":"hold"}"# + "\n" + String(repeating: "x", count: 100) + "\n" + #"{"jsonrpc":"2.0","id":2,"method":"echo"}"# + "\n")
        #expect(h.handler.stateForTesting == .inputEnded(.stopped))
        let tooLong = try h.lines()
        #expect(tooLong.count == 1 && tooLong[0].contains(#""type":"line_too_long""#), "\(tooLong)")
        #expect(h.isOpen, "the held call is still owed its answer")
        h.answerHeld()
        #expect(try h.lines() == [#"{"jsonrpc":"2.0","id":1,"result":"late"}"#])
        #expect(!h.isOpen)
    }

    @Test func overload_refusesCallsBeyondTheLimit_andAdmitsAgainWhenOneEnds() throws {
        var limits = RPCLimits()
        limits.maxConcurrentRequestsPerClient = 2
        let h = try Harness(limits: limits)
        try h.send((1...3).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"hold"}"# + "\n" }.joined())
        let refused = try h.lines()
        #expect(refused.count == 1 && refused[0].contains(#""id":3"#) && refused[0].contains(#""type":"overloaded""#), "\(refused)")
        h.answerHeld()
        #expect(try h.lines().count == 2)
        try h.send(#"{"jsonrpc":"2.0","id":4,"method":"echo"}"# + "\n")
        #expect(try h.lines() == [#"{"jsonrpc":"2.0","id":4,"result":null}"#])
    }

    @Test func manyLinesInOneRead_getOneFlush() throws {
        let h = try Harness()
        let before = h.flushes
        try h.send((1...50).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"echo"}"# + "\n" }.joined())
        #expect(try h.lines().count == 50)
        #expect(h.flushes - before <= 2, "one flush per turn of the loop, not per response: \(h.flushes - before)")
    }

    @Test func idleTimeout_closesAConnectionNothingHolds() throws {
        var limits = RPCLimits()
        limits.idleTimeout = .seconds(60)
        let idle = try Harness(limits: limits)
        idle.channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        try idle.send(#"{"jsonrpc":"2.0","id":1,"method":"echo"}"# + "\n")
        idle.channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(idle.isOpen, "a request restarts the clock")
        idle.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!idle.isOpen, "60 s without a request")

        // A call in flight, a subscription, or a connection-lifetime socket holds it.
        let busy = try Harness(limits: limits)
        try busy.send(#"{"jsonrpc":"2.0","id":1,"method":"hold"}"# + "\n")
        busy.channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(busy.isOpen, "an answer is owed")
        busy.answerHeld()
        busy.channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(!busy.isOpen, "idle from the answer on")

        let subscribed = try Harness(limits: limits)
        try subscribed.send(#"{"jsonrpc":"2.0","id":1,"method":"subscribe"}"# + "\n")
        subscribed.channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(subscribed.isOpen)

        // Half a line, then silence: still idle.
        let partial = try Harness(limits: limits)
        try partial.send(#"{"jsonrpc":"2.0","#)
        partial.channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(!partial.isOpen, "a partial line holds no slot forever")

        let owner = try Harness(limits: limits)
        owner.handler.connection?.exemptFromIdleTimeout()
        owner.channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(owner.isOpen)
    }

    @Test func aNotificationLargerThanTheBudget_isNeverQueued_butCountedAsDropped() throws {
        var limits = RPCLimits()
        limits.maxQueuedNotificationBytes = 100
        let h = try Harness(limits: limits)
        h.handler.connection?.notify(line: Array(("{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":\"" + String(repeating: "x", count: 200) + "\"}").utf8))
        h.handler.connection?.notify(method: "small")
        h.channel.embeddedEventLoop.run()
        #expect(try h.lines() == [#"{"jsonrpc":"2.0","method":"events.lagged","params":{"dropped":1}}"#, #"{"jsonrpc":"2.0","method":"small"}"#])
    }

    @Test func unwritableChannel_pausesReading_untilItDrains() throws {
        let h = try Harness()
        h.channel.isWritable = false
        h.channel.pipeline.fireChannelWritabilityChanged()
        var reads = 0
        let spy = OutboundSpy()
        spy.onRead = { reads += 1 }
        try h.channel.pipeline.syncOperations.addHandler(spy, position: .first)
        h.channel.read()
        #expect(reads == 0, "no read while our output cannot leave")
        h.channel.isWritable = true
        h.channel.pipeline.fireChannelWritabilityChanged()
        #expect(reads == 1, "the read asked for is issued once it drains")
    }

    /// Unfinished lines of all connections share one bound: past it, the connections holding
    /// part of a line are not read until the total falls back, except one, the finisher, so
    /// that some line always ends; a connection holding nothing reads on.
    @Test func pendingBytes_pauseTheHoldersOfUnfinishedLines_butOne_untilTheTotalFalls() throws {
        let pending = PendingBytes(limit: 100)
        let (a, b, c) = (try Harness(pending: pending), try Harness(pending: pending), try Harness(pending: pending))
        var reads = (a: 0, b: 0, c: 0)
        for (h, count) in [(a, { reads.a += 1 }), (b, { reads.b += 1 }), (c, { reads.c += 1 })] as [(Harness, () -> Void)] {
            let spy = OutboundSpy()
            spy.onRead = count
            try h.channel.pipeline.syncOperations.addHandler(spy, position: .first)
        }
        let padding = String(repeating: "x", count: 100)
        try a.send(#"{"jsonrpc":"2.0","id":1,"params":[""# + padding)
        try b.send(#"{"jsonrpc":"2.0","id":2,"params":[""# + padding)
        #expect(pending.total >= 260)
        a.channel.read()
        b.channel.read()
        c.channel.read()
        #expect(reads.a == 1, "a is the finisher: read on, so that its line can end")
        #expect(reads.b == 0, "b holds part of a line past the bound: not read")
        #expect(reads.c == 1, "c holds nothing: read on, its lines get answered")
        // a's line ends: b becomes the finisher and is read again; the total is still over.
        try a.send(#""],"method":"echo"}"# + "\n")
        b.channel.embeddedEventLoop.run()
        #expect(reads.b == 1)
        #expect(try a.lines() == [#"{"jsonrpc":"2.0","id":1,"result":[""# + padding + #""]}"#])
        // b's ends too: within the bound, everyone reads.
        try b.send(#""],"method":"echo"}"# + "\n")
        a.channel.read()
        #expect(reads.a == 2)
        #expect(pending.total <= 100)
        // A closed connection gives its bytes back.
        try c.send("{")
        try c.channel.close().wait()
        try a.channel.close().wait()
        try b.channel.close().wait()
        #expect(pending.total == 0)
    }
}
