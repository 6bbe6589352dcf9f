import NIOConcurrencyHelpers
import NIOCore

/// The queue of a Manager's inputs: many producers (the user's calls, transport tasks,
/// timers), one consumer (the pump).
///
/// It does what an `AsyncStream<ManagerInput>` did, at a fraction of the cost: the standard
/// library's stream is generic code that is not specialized for its element outside its own
/// module, and its `yield`/`next` looked up generic metadata at run time on every input (a
/// sixth of siod's CPU under an event firehose). Here the buffer is NIO's inlinable
/// `CircularBuffer`, specialized for `ManagerInput`, and the consumer is only woken when it
/// waits.
final class ManagerInbox: Sendable {
    private struct State {
        var buffer = CircularBuffer<ManagerInput>(initialCapacity: 64)
        var waiter: CheckedContinuation<ManagerInput?, Never>?
        var finished = false
        /// The consumer was cancelled before it could wait.
        var cancelled = false
    }

    private let state = NIOLockedValueBox(State())

    /// Queues `input`, waking the consumer if it waits; false (and nothing queued) once
    /// finished, so that a call can be answered at once instead of waiting forever.
    @discardableResult
    func yield(_ input: ManagerInput) -> Bool {
        let (accepted, waiter) = self.state.withLockedValue { state -> (Bool, CheckedContinuation<ManagerInput?, Never>?) in
            guard !state.finished else { return (false, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (true, waiter)
            }
            state.buffer.append(input)
            return (true, nil)
        }
        waiter?.resume(returning: input)
        return accepted
    }

    /// No more inputs are accepted; the consumer gets what is queued, then nil.
    func finish() {
        let waiter = self.state.withLockedValue { state -> CheckedContinuation<ManagerInput?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next input; nil once finished and drained, or when the consuming task is cancelled
    /// (as an `AsyncStream` iterator does).
    func next() async -> ManagerInput? {
        let ready = self.state.withLockedValue { state -> ManagerInput?? in
            if let input = state.buffer.popFirst() { return .some(input) }
            return state.finished ? .some(nil) : .none
        }
        if case .some(let input) = ready { return input }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = self.state.withLockedValue { state -> ManagerInput?? in
                    if let input = state.buffer.popFirst() { return .some(input) }
                    if state.finished || state.cancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if case .some(let input) = ready { continuation.resume(returning: input) }
            }
        } onCancel: {
            let waiter = self.state.withLockedValue { state -> CheckedContinuation<ManagerInput?, Never>? in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
