import NIOConcurrencyHelpers

/// Ends the HTTP requests of a polling transport the engine has closed: each request races
/// its work against ``close()``, which cancels it (async-http-client honours cancellation).
final class TransportCloser: Sendable {
    private struct State {
        var closed = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = NIOLockedValueBox(State())

    /// Closes the transport: every running ``race(_:)`` is cancelled, later ones too.
    func close() {
        let waiters = self.state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Runs `work` unless and until the transport is closed; throws `CancellationError` then.
    func race<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        if self.state.withLockedValue({ $0.closed }) { throw CancellationError() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                await self.waitForClose()
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let value = result else { throw CancellationError() }
            return value
        }
    }

    private func waitForClose() async {
        let id = self.state.withLockedValue { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = self.state.withLockedValue { state -> Bool in
                    if state.closed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = self.state.withLockedValue { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
