import NIOConcurrencyHelpers

/// The bytes every connection holds in unfinished lines, under one bound
/// (``RPCLimits/maxPendingBytes``). One line costs at most its own bytes per connection (the
/// framer's limit); this bounds the sum: past it, the connections holding part of a line stop
/// being read (their bytes wait in the kernel) until the total falls back, while connections
/// holding nothing read on, so that finished lines keep being answered.
final class PendingBytes: Sendable {
    let limit: Int
    private struct State {
        var held: [ObjectIdentifier: Int] = [:]
        var total = 0
        var over = false
        var waiting: [ObjectIdentifier: @Sendable () -> Void] = [:]
    }
    private let state = NIOLockedValueBox(State())
    /// Told when the total goes over the bound (true, with the total) and back (false).
    private let crossed: @Sendable (Bool, Int) -> Void

    init(limit: Int, crossed: @escaping @Sendable (Bool, Int) -> Void = { _, _ in }) {
        self.limit = limit
        self.crossed = crossed
    }

    /// Records that `holder` now holds `bytes`; wakes it if it holds nothing any more, and
    /// every waiting holder if the total is within the bound.
    func set(_ holder: ObjectIdentifier, _ bytes: Int) {
        let (wake, crossing, total) = self.state.withLockedValue { state -> ([@Sendable () -> Void], Bool?, Int) in
            state.total += bytes - (state.held[holder] ?? 0)
            state.held[holder] = bytes == 0 ? nil : bytes
            let over = state.total > self.limit
            let crossing: Bool? = over != state.over ? over : nil
            state.over = over
            if !over {
                defer { state.waiting.removeAll() }
                return (Array(state.waiting.values), crossing, state.total)
            }
            guard bytes == 0, let own = state.waiting.removeValue(forKey: holder) else { return ([], crossing, state.total) }
            return ([own], crossing, state.total)
        }
        if let crossing { self.crossed(crossing, total) }
        for resume in wake { resume() }
    }

    /// `holder` is gone: its bytes no longer count, and it is not woken.
    func remove(_ holder: ObjectIdentifier) {
        self.state.withLockedValue { $0.waiting[holder] = nil }
        self.set(holder, 0)
    }

    /// Whether `holder` may read on: it holds nothing, or the total is within the bound.
    /// Otherwise `resume` is called once it is (and `false` returned).
    func mayRead(_ holder: ObjectIdentifier, resume: @escaping @Sendable () -> Void) -> Bool {
        self.state.withLockedValue { state in
            guard state.held[holder] != nil, state.total > self.limit else { return true }
            state.waiting[holder] = resume
            return false
        }
    }

    /// The bytes held now, for `daemon.info` and the tests.
    var total: Int { self.state.withLockedValue { $0.total } }
}
