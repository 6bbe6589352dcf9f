import NIOCore
import SioJSON

/// The channel handler of one connection: frames lines, admits calls under the per-client
/// limit and starts them in the order they arrived, writes responses and queued notifications
/// with NIO backpressure, and closes when nothing more is owed, also after a half-close
/// (docs/rpc.md § Framing and limits).
///
/// All state is confined to the channel's event loop; the ``RPCConnection`` handle reaches it
/// through a `NIOLoopBound`. Reading pauses while the channel is unwritable, so a client that
/// sends but does not read cannot grow our output without bound.
final class RPCConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: RPCLimits
    private let methods: [String: RPCMethod]
    /// Set once the connection exists; cleared when the channel closes.
    var connection: RPCConnection?
    private var context: ChannelHandlerContext?
    private var framer: LineFramer

    private var state = State.reading
    /// The client has subscriptions: after its half-close the connection stays open for
    /// their notifications (not once siod stopped reading).
    private var keepOpen = false
    /// Calls admitted and not yet finished (the per-client limit counts these).
    private var callsInFlight = 0
    /// Lines started and not yet answered.
    private var linesPending = 0
    /// A read was asked for while the channel was unwritable; it is issued when it drains.
    private var readPending = false
    /// The bound on unfinished lines shared by every connection of the server.
    private let pending: PendingBytes?
    /// A read waits for the connections' unfinished lines to fall within their bound.
    private var readWaitsForPending = false
    /// Closes the connection when it has been idle for ``RPCLimits/idleTimeout``.
    private var idleTimer: Scheduled<Void>?
    /// The connection owns something that lives as long as it (``RPCConnection/exemptFromIdleTimeout()``).
    private var idleExempt = false
    /// Something was written: closing waits for it to leave.
    private var wroteAny = false

    private var notifications = CircularBuffer<[UInt8]>()
    private var notificationBytes = 0
    private var dropped = 0
    /// Who waits for the queue to shrink (``RPCConnection/whenQueuedNotifications(atMost:_:)``):
    /// dropped with the connection.
    private var queueWaiters: [(count: Int, body: @Sendable () -> Void)] = []
    /// A flush task is queued on the event loop (``flushSoon()``).
    private var flushScheduled = false

    /// Where the connection is in its life.
    enum State: Equatable {
        /// Reading lines.
        case reading
        /// Nothing more is read; the connection closes once every line is answered.
        case inputEnded(InputEnd)
        /// Closing once what was written has left; nothing more is read or queued.
        case closing
        /// The channel is closed.
        case closed

        /// Whether lines are still read.
        var isReading: Bool { self == .reading }
        /// Whether output may still be queued.
        var isOpen: Bool { self != .closing && self != .closed }
    }

    /// Why the input ended.
    enum InputEnd: Equatable {
        /// The client shut its write side (socat at the end of its input): subscriptions
        /// (``keepOpen``) hold the connection open for their notifications.
        case halfClosed
        /// siod stopped reading (a line too long, the server stopping): nothing holds it open.
        case stopped
    }

    /// The state, for the tests.
    var stateForTesting: State { self.state }

    init(limits: RPCLimits, methods: [String: RPCMethod], pending: PendingBytes? = nil) {
        self.limits = limits
        self.methods = methods
        self.pending = pending
        self.framer = LineFramer(maxLineLength: limits.maxLineLength)
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.armIdleTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.state.isReading else { return }
        self.idleTimer?.cancel()
        self.idleTimer = nil
        let buffer = self.unwrapInboundIn(data)
        let events = self.framer.feed(buffer.readableBytesView)
        self.pending?.set(ObjectIdentifier(self), self.framer.heldMemory)
        for event in events {
            self.received(event)
            guard self.state.isReading else { return }
        }
        // Only part of a line, or lines answered at once: the clock starts again from here.
        self.armIdleTimer()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, case .inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard self.state.isReading else { return }
        if let last = self.framer.finish() { self.received(last) }
        if self.state.isReading { self.state = .inputEnded(.halfClosed) }
        context.flush()
        self.closeIfDone()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.drainNotifications()
            if self.readPending {
                self.readPending = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.pending?.remove(ObjectIdentifier(self))
        self.state = .closed
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.notifications.removeAll()
        self.queueWaiters.removeAll()
        self.connection = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        guard context.channel.isWritable else {
            self.readPending = true
            return
        }
        if let pending = self.pending, !self.readWaitsForPending {
            let loop = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let mayRead = pending.mayRead(ObjectIdentifier(self)) {
                loop.eventLoop.execute {
                    let (handler, context) = loop.value
                    guard handler.readWaitsForPending else { return }
                    handler.readWaitsForPending = false
                    if handler.state.isReading { handler.read(context: context) }
                }
            }
            guard mayRead else {
                self.readWaitsForPending = true
                return
            }
        } else if self.readWaitsForPending {
            return
        }
        context.read()
    }

    // MARK: - Lines

    private func received(_ event: LineFramer.Event) {
        switch event {
        case .line(let bytes):
            self.dispatch(RPCMessage(line: bytes, maxBatchEntries: self.limits.maxBatchEntries))
        case .lineTooLong:
            // Read nothing more; answer what is owed, then close whatever keeps it open.
            self.write(RPCResponse(id: .null, outcome: .failure(.lineTooLong(limit: self.limits.maxLineLength))).line)
            self.state = .inputEnded(.stopped)
            self.closeIfDone()
        }
    }

    private func dispatch(_ message: RPCMessage) {
        switch message {
        case .invalid(let response):
            self.write(response.line)
        case .single(let call):
            guard self.callsInFlight < self.limits.maxConcurrentRequestsPerClient else {
                if let id = call.id { self.write(Self.overloaded(id: id, limit: self.limits).line) }
                return
            }
            self.start([.call(call)], calls: 1, isBatch: false)
        case .batch(let items):
            // Calls beyond the limit get `overloaded`; an overloaded notification is dropped
            // unanswered, as any notification's error is (JSON-RPC 2.0 § 4.1).
            var admitted = 0
            var kept: [RPCBatchItem] = []
            for item in items {
                guard case .call(let call) = item else {
                    kept.append(item)
                    continue
                }
                if self.callsInFlight + admitted < self.limits.maxConcurrentRequestsPerClient {
                    admitted += 1
                    kept.append(item)
                } else if let id = call.id {
                    kept.append(.answered(Self.overloaded(id: id, limit: self.limits)))
                }
            }
            guard admitted > 0 else {
                let errors = kept.compactMap { item -> RPCResponse? in
                    guard case .answered(let response) = item else { return nil }
                    return response
                }
                if !errors.isEmpty { self.write(RPCResponse.batchLine(errors)) }
                return
            }
            self.start(kept, calls: admitted, isBatch: true)
        }
    }

    private static func overloaded(id: JSON, limit: RPCLimits) -> RPCResponse {
        RPCResponse(
            id: id,
            outcome: .failure(.overloaded("more than \(limit.maxConcurrentRequestsPerClient) requests in flight"))
        )
    }

    /// Starts the calls of one line, in order: an immediate method runs here and now, a task
    /// method as a task. The line's response is written once every call is answered.
    private func start(_ items: [RPCBatchItem], calls: Int, isBatch: Bool) {
        guard let context = self.context, let connection = self.connection else { return }
        self.callsInFlight += calls
        self.linesPending += 1
        let line = PendingLine(handler: self, items: items.count, calls: calls, isBatch: isBatch)
        let bound = NIOLoopBound(line, eventLoop: context.eventLoop)
        for (index, item) in items.enumerated() {
            switch item {
            case .answered(let response):
                line.set(index, response)
            case .call(let call):
                let reply = RPCReply(line: bound, index: index, call: call)
                guard let method = self.methods[call.method] else {
                    reply.fail(.methodNotFound(call.method))
                    continue
                }
                let request = RPCRequestContext(connection: connection, id: call.id, method: call.method)
                line.addFollowUps(request.followUps)
                switch method {
                case .immediate(let body):
                    body(call.params, request, reply)
                case .task(let body):
                    Task {
                        do throws(RPCError) {
                            reply.succeed(try await body(call.params, request))
                        } catch {
                            reply.fail(error)
                        }
                    }
                }
            }
        }
    }

    /// A line's calls are all answered.
    func completed(line: [UInt8]?, calls: Int) {
        self.callsInFlight -= calls
        self.linesPending -= 1
        if self.linesPending == 0 { self.armIdleTimer() }
        guard self.context != nil else { return }
        if let line {
            self.write(line)
            self.flushSoon()
        }
        self.closeIfDone()
    }

    /// One flush for every response completed in this turn of the event loop: the flush task
    /// runs after the completions already queued behind this one.
    private func flushSoon() {
        guard !self.flushScheduled, let context = self.context else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.context?.flush()
        }
    }

    // MARK: - Output

    private func write(_ line: [UInt8]) {
        guard let context = self.context, context.channel.isActive else { return }
        context.write(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: line)), promise: nil)
        self.wroteAny = true
    }

    /// Queues a batch of notification lines (see ``RPCConnection/notify(line:)``). Each line
    /// is queued and written in turn, so a batch larger than the queue's bound is not cut
    /// for a client that keeps up: only what the socket cannot take waits, and only that
    /// counts against the bound.
    func enqueueNotifications(_ lines: [[UInt8]]) {
        guard self.state.isOpen, let context = self.context else { return }
        var wrote = false
        for line in lines {
            // A line larger than the whole budget is never queued: it counts as dropped, and
            // events.lagged says so (the daemon says which one, with its seq, before this).
            guard line.count <= self.limits.maxQueuedNotificationBytes else {
                self.dropped += 1
                wrote = self.writeNotifications(context) || wrote
                continue
            }
            self.notifications.append(line)
            self.notificationBytes += line.count
            while self.notifications.count > self.limits.maxQueuedNotifications
                || (self.notificationBytes > self.limits.maxQueuedNotificationBytes && self.notifications.count > 1)
            {
                self.notificationBytes -= self.notifications.removeFirst().count
                self.dropped += 1
            }
            wrote = self.writeNotifications(context) || wrote
        }
        if wrote { context.flush() }
    }

    /// Writes queued notifications while the channel is writable, telling the client first
    /// how many were dropped since it last heard.
    private func drainNotifications(force: Bool = false) {
        guard let context = self.context else { return }
        if self.writeNotifications(context, force: force) { context.flush() }
    }

    /// Writes queued notifications while the channel takes them, without a final flush; when
    /// unflushed writes make it unwritable, flushes once to let the socket take them and
    /// goes on if that freed it. Returns whether anything is left unflushed.
    private func writeNotifications(_ context: ChannelHandlerContext, force: Bool = false) -> Bool {
        var unflushed = false
        while self.dropped > 0 || !self.notifications.isEmpty {
            if !force, !context.channel.isWritable {
                guard unflushed else { break }
                context.flush()
                unflushed = false
                guard context.channel.isWritable else { break }
            }
            if self.dropped > 0, let method = self.limits.laggedNotificationMethod {
                self.write(RPCNotification(method: method, params: ["dropped": .number(JSONNumber(self.dropped))]).line)
                self.dropped = 0
            } else {
                self.dropped = 0
                guard let line = self.notifications.popFirst() else { break }
                self.notificationBytes -= line.count
                self.write(line)
            }
            unflushed = true
        }
        self.wakeQueueWaiters()
        return unflushed
    }

    /// Calls `body` once at most `count` notifications wait in the queue (now, if so).
    func whenQueued(atMost count: Int, _ body: @escaping @Sendable () -> Void) {
        guard self.state.isOpen else { return }
        if self.notifications.count <= count {
            body()
        } else {
            self.queueWaiters.append((count, body))
        }
    }

    private func wakeQueueWaiters() {
        guard !self.queueWaiters.isEmpty else { return }
        let count = self.notifications.count
        var ready: [@Sendable () -> Void] = []
        self.queueWaiters.removeAll { waiter in
            guard count <= waiter.count else { return false }
            ready.append(waiter.body)
            return true
        }
        for body in ready { body() }
    }

    // MARK: - Closing

    func setKeepOpen(_ keepOpen: Bool) {
        self.keepOpen = keepOpen
        self.armIdleTimer()
        self.closeIfDone()
    }

    func exemptFromIdleTimeout() {
        self.idleExempt = true
        self.armIdleTimer()
    }

    // MARK: - Idle timeout

    /// Starts the idle timer when nothing holds the connection: no line unanswered, no
    /// subscription, nothing it owns; stops it otherwise.
    private func armIdleTimer() {
        self.idleTimer?.cancel()
        self.idleTimer = nil
        guard let timeout = self.limits.idleTimeout, let context = self.context, self.state.isReading,
              self.linesPending == 0, !self.keepOpen, !self.idleExempt
        else { return }
        self.idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
            self.idleTimer = nil
            guard self.state.isReading, self.linesPending == 0, !self.keepOpen, !self.idleExempt else { return }
            self.state = .inputEnded(.stopped)
            self.closeIfDone()
        }
    }

    func beginShutdown() {
        guard self.state.isOpen else { return }
        self.state = .inputEnded(.stopped)
        self.closeIfDone()
    }

    /// Closes once the input ended, every response is written, and nothing keeps us open.
    private func closeIfDone() {
        guard case .inputEnded(let end) = self.state, self.linesPending == 0, end == .stopped || !self.keepOpen else { return }
        self.drainNotifications(force: true)
        self.closeAfterWrites()
    }

    private func closeAfterWrites() {
        guard let context = self.context, self.state.isOpen else { return }
        self.state = .closing
        let channel = context.channel
        guard self.wroteAny else {
            context.flush()
            channel.close(promise: nil)
            return
        }
        // Writes complete in order: an empty one written last completes when all the others
        // have (no promise per line on the way). A peer that never reads
        // would hold the connection (and a graceful stop) forever, hence the timeout.
        let timeout = context.eventLoop.scheduleTask(in: TimeAmount(self.limits.closeTimeout)) {
            channel.close(promise: nil)
        }
        let lastWrite = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: lastWrite)
        lastWrite.futureResult.whenComplete { _ in
            timeout.cancel()
            channel.close(promise: nil)
        }
    }
}
