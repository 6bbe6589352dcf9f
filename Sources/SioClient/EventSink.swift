/// Where a Manager's or a socket's events go: a handler called on the Manager's event loop, or
/// an `AsyncStream` for async code. Chosen when the Manager or socket is made.
final class EventSink<Event: Sendable>: Sendable {
    private let handler: (@Sendable (Event) -> Void)?
    private let continuation: AsyncStream<Event>.Continuation?
    private let events: AsyncStream<Event>?

    /// Events go to `handler`, synchronously, on the Manager's event loop.
    init(handler: @escaping @Sendable (Event) -> Void) {
        self.handler = handler
        self.continuation = nil
        self.events = nil
    }

    /// Events go to a stream that keeps the newest `limit` unread ones.
    init(bufferingNewest limit: Int) {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(limit))
        self.handler = nil
        self.continuation = continuation
        self.events = events
    }

    /// Events go to a stream that keeps every unread one.
    init(unbounded: Void) {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        self.handler = nil
        self.continuation = continuation
        self.events = events
    }

    /// The stream; an empty, finished one for a sink with a handler.
    var stream: AsyncStream<Event> {
        self.events ?? AsyncStream { $0.finish() }
    }

    func yield(_ event: Event) {
        if let handler = self.handler {
            handler(event)
        } else {
            self.continuation?.yield(event)
        }
    }

    func finish() {
        self.continuation?.finish()
    }
}
