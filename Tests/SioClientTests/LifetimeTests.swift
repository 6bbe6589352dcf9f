import NIOConcurrencyHelpers
import Testing
@testable import SioClient
import SioProtocol

/// What a Manager lets go of. An event handler that captures its own socket (the usual way to
/// answer an event) makes a cycle: socket → its events → the handler → the socket. The cycle
/// must end with the socket's events, or every socket ever closed stays in memory with its
/// Manager (found by the soak: siod's RSS grew with each socket it opened and closed).
@Suite(.timeLimit(.minutes(1))) struct LifetimeTests {
    @Test func aClosedSocket_releasesItsEventHandler() async throws {
        let manager = try Manager(url: "http://127.0.0.1:9", options: .transports([.websocket]) { $0.reconnection = false })
        weak var closed: Socket?
        let handlerGone = NIOLockedValueBox(false)
        do {
            let holder = Holder(onDeinit: { handlerGone.withLockedValue { $0 = true } })
            let socket = try manager.socket("/a", eventHandler: { _ in _ = holder.socket.withLockedValue { $0 } })
            holder.socket.withLockedValue { $0 = socket }
            closed = socket
            socket.close()
        }
        // The removal is queued on the Manager's loop before this task; under load its last
        // references may go a few turns of the loop later (bounded: 1,000 turns).
        for _ in 0..<1_000 where closed != nil || !handlerGone.withLockedValue({ $0 }) {
            try await manager.eventLoop.submit {}.get()
        }
        #expect(closed == nil, "the closed socket is still referenced")
        #expect(handlerGone.withLockedValue { $0 }, "the closed socket's handler is still referenced")

        // A socket that stays open keeps its handler, and the Manager's shutdown lets it go
        // (the Manager keeps its sockets, so that asking again for a namespace gives the same one).
        let openHandlerGone = NIOLockedValueBox(false)
        do {
            let holder = Holder(onDeinit: { openHandlerGone.withLockedValue { $0 = true } })
            let socket = try manager.socket("/b", eventHandler: { _ in _ = holder.socket.withLockedValue { $0 } })
            holder.socket.withLockedValue { $0 = socket }
        }
        try await manager.eventLoop.submit {}.get()
        #expect(!openHandlerGone.withLockedValue { $0 })
        manager.shutdown()
        try await manager.run()
        for _ in 0..<1_000 where !openHandlerGone.withLockedValue({ $0 }) {
            try await manager.eventLoop.submit {}.get()
        }
        #expect(openHandlerGone.withLockedValue { $0 }, "a Manager that has shut down still holds its sockets' handlers")
    }

    /// Each event reaches the handler through the same calls, however many came before. The
    /// handler once sat in a generic lock box read with `withLockedValue { $0 }`: that reads
    /// the closure out and writes it back through an inout, and Swift wraps a closure of a
    /// generic box in two reabstraction thunks each way, so every event left the stored
    /// handler two thunks deeper. siod's memory grew by about 150 bytes a received event
    /// and its event loop slowed with it (the soak's climb after the cycle fix; `perf` showed
    /// half the loop's time in a chain of thunks).
    @Test func theHandlerIsCalledAsDirectlyAfterManyEvents() {
        let depths = NIOLockedValueBox<[Int]>([])
        let sink = EventSink<SocketEvent>(handler: { _ in
            var local = 0
            let address = withUnsafeMutablePointer(to: &local) { Int(bitPattern: $0) }
            depths.withLockedValue { $0.append(address) }
        })
        let event = SocketEvent.disconnect(.ioClientDisconnect, description: nil)
        for _ in 0..<10_000 { sink.yield(event) }
        let (first, last) = depths.withLockedValue { ($0[0], $0[$0.count - 1]) }
        // The same call site, so the same stack depth; the chain made it 64 bytes deeper each time.
        #expect(first - last == 0, "the 10,000th event reached the handler \(first - last) bytes deeper in the stack than the first")
    }
}

private final class Holder: Sendable {
    let socket = NIOLockedValueBox<Socket?>(nil)
    let onDeinit: @Sendable () -> Void
    init(onDeinit: @escaping @Sendable () -> Void) { self.onDeinit = onDeinit }
    deinit { self.onDeinit() }
}
