import NIOConcurrencyHelpers

/// Where a Manager's or a socket's events go: a handler called on the Manager's event loop, or
/// an `AsyncStream` for async code. Chosen when the Manager or socket is made.
final class EventSink<Event: Sendable>: Sendable {
    /// Let go at ``finish()``: a handler often holds the socket whose events it reads, and
    /// that cycle must not outlive the socket.
    private let handler: NIOLockedValueBox<Handler?>
    private let continuation: AsyncStream<Event>.Continuation?
    private let events: AsyncStream<Event>?

    /// Events go to `handler`, synchronously, on the Manager's event loop.
    init(handler: @escaping @Sendable (Event) -> Void) {
        self.handler = NIOLockedValueBox(Handler(call: handler))
        self.continuation = nil
        self.events = nil
    }

    /// Events go to a stream that keeps the newest `limit` unread ones.
    init(bufferingNewest limit: Int) {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(limit))
        self.handler = NIOLockedValueBox(nil)
        self.continuation = continuation
        self.events = events
    }

    /// Events go to a stream that keeps every unread one.
    init(unbounded: Void) {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        self.handler = NIOLockedValueBox(nil)
        self.continuation = continuation
        self.events = events
    }

    /// The stream; an empty, finished one for a sink with a handler.
    var stream: AsyncStream<Event> {
        self.events ?? AsyncStream { $0.finish() }
    }

    func yield(_ event: Event) {
        if let continuation = self.continuation {
            continuation.yield(event)
        } else {
            self.handler.withLockedValue { $0 }?.call(event)
        }
    }

    /// The handler in a class of its own. A closure kept directly in the generic lock box and
    /// read through its `inout` is written back wrapped in two more reabstraction thunks on
    /// every read: each event made the next one's call chain deeper, and held its memory.
    private final class Handler: Sendable {
        let call: @Sendable (Event) -> Void
        init(call: @escaping @Sendable (Event) -> Void) { self.call = call }
    }

    /// No event follows: the stream ends, the handler is let go.
    func finish() {
        self.continuation?.finish()
        self.handler.withLockedValue { $0 = nil }
    }
}
