import Foundation
import SioClient
import SioJSON
import SioProtocol
import Testing
import TestSupport

/// Reads a socket's or manager's events with a bound, so a missing event fails instead of hanging.
struct EventReader<Event: Sendable>: Sendable {
    /// The iterator, used by one reader at a time (the test), moved into the racing child task.
    private final class Box: @unchecked Sendable {
        var iterator: AsyncStream<Event>.AsyncIterator
        init(_ iterator: AsyncStream<Event>.AsyncIterator) { self.iterator = iterator }
    }

    private let box: Box

    init(_ stream: AsyncStream<Event>) { self.box = Box(stream.makeAsyncIterator()) }

    /// The next event, or a failure after `timeout`. After a timeout the reader is spent: the
    /// cancelled wait ends the underlying stream.
    func next(timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation) async throws -> Event {
        let box = self.box
        let event: Event?
        do { event = try await withDeadline(timeout) { await box.iterator.next() } } catch is DeadlinePassed { throw TimedOut() }
        return try #require(event, "the event stream ended", sourceLocation: sourceLocation)
    }

    /// Skips events until one matches; returns it.
    func first<T>(timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation, where match: (Event) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                Issue.record("no matching event within \(timeout)", sourceLocation: sourceLocation)
                throw TimedOut()
            }
            let event: Event
            do { event = try await self.next(timeout: left, sourceLocation: sourceLocation) } catch let error as TimedOut {
                // Named where the test waited, not only as the test's error.
                Issue.record("no matching event within \(timeout)", sourceLocation: sourceLocation)
                throw error
            }
            if let value = match(event) { return value }
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "no such event in time" }
    }
}

extension SocketEvent {
    var connectedId: String? { if case .connect(let id, _) = self { id } else { nil } }
    var disconnectReason: DisconnectReason? { if case .disconnect(let reason, _) = self { reason } else { nil } }
    var connectError: ConnectError? { if case .connectError(let error) = self { error } else { nil } }
    var incoming: IncomingEvent? { if case .event(let event) = self { event } else { nil } }
    func incoming(named name: String) -> IncomingEvent? {
        if case .event(let event) = self, event.name.description == name { event } else { nil }
    }
}

/// Runs `body` with a running Manager, shutting it down afterwards.
func withManager<T: Sendable>(
    _ url: String, _ options: ManagerOptions = ManagerOptions(),
    _ body: @Sendable (Manager) async throws -> T
) async throws -> T {
    let manager = try Manager(url: url, options: options)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await manager.run()
            return nil
        }
        defer { manager.shutdown() }
        let result = try await body(manager)
        manager.shutdown()
        while let value = try await group.next() { if let value { return value } }
        return result
    }
}

extension ManagerOptions {
    static func transports(_ transports: [TransportKind], _ change: (inout ManagerOptions) -> Void = { _ in }) -> ManagerOptions {
        var options = ManagerOptions()
        options.transports = transports
        change(&options)
        return options
    }
}

extension Manager {
    /// Makes the socket for `namespace`, connects it and waits (bounded) for `connect`.
    func connectedSocket(
        _ namespace: String = "/", auth: JSON? = nil, options: SocketOptions = SocketOptions(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (Socket, EventReader<SocketEvent>) {
        let socket = try self.socket(namespace, auth: auth, options: options)
        let events = EventReader(socket.events)
        socket.connect()
        _ = try await events.first(sourceLocation: sourceLocation) { $0.connectedId }
        return (socket, events)
    }
}
