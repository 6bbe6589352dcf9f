import NIOConcurrencyHelpers

/// The bytes every connection holds in unfinished lines, under one bound
/// (``RPCLimits/maxPendingBytes``). One line costs at most its own bytes per connection (the
/// framer's limit); this bounds the sum. Past it, the connections holding part of a line stop
/// being read (their bytes wait in the kernel) until the total falls back, but one of them,
/// the *finisher*, reads on: were they all paused, no line could end and free its bytes, and
/// ten clients each sending an 8 MiB line would wait for each other forever. So the total
/// stays under the bound plus one line. Connections holding nothing read on, so that
/// finished lines keep being answered.
final class PendingBytes: Sendable {
    let limit: Int
    private struct State {
        var held: [ObjectIdentifier: Int] = [:]
        var total = 0
        var over = false
        /// The holder that reads on while the total is over the bound.
        var finisher: ObjectIdentifier?
        var waiting: [ObjectIdentifier: @Sendable () -> Void] = [:]
    }
    private let state = NIOLockedValueBox(State())
    /// Told when the total goes over the bound (true, with the total) and back (false).
    private let crossed: @Sendable (Bool, Int) -> Void

    init(limit: Int, crossed: @escaping @Sendable (Bool, Int) -> Void = { _, _ in }) {
        self.limit = limit
        self.crossed = crossed
    }

    /// Records that `holder` now holds `bytes`. Wakes every waiting holder when the total is
    /// within the bound; else, when the finisher's line ended, one waiter, the next finisher.
    func set(_ holder: ObjectIdentifier, _ bytes: Int) {
        let (wake, crossing, total) = self.state.withLockedValue { state -> ([@Sendable () -> Void], Bool?, Int) in
            state.total += bytes - (state.held[holder] ?? 0)
            state.held[holder] = bytes == 0 ? nil : bytes
            let over = state.total > self.limit
            let crossing: Bool? = over != state.over ? over : nil
            state.over = over
            if bytes == 0, state.finisher == holder { state.finisher = nil }
            if !over {
                state.finisher = nil
                defer { state.waiting.removeAll() }
                return (Array(state.waiting.values), crossing, state.total)
            }
            // A holder whose line ended reads on (it holds nothing now); so does the next
            // finisher, when there is none.
            var wake: [@Sendable () -> Void] = []
            if bytes == 0, let own = state.waiting.removeValue(forKey: holder) { wake.append(own) }
            if state.finisher == nil, let (next, resume) = state.waiting.first {
                state.waiting[next] = nil
                state.finisher = next
                wake.append(resume)
            }
            return (wake, crossing, state.total)
        }
        if let crossing { self.crossed(crossing, total) }
        for resume in wake { resume() }
    }

    /// `holder` is gone: its bytes no longer count, and it is not woken.
    func remove(_ holder: ObjectIdentifier) {
        self.state.withLockedValue { $0.waiting[holder] = nil }
        self.set(holder, 0)
    }

    /// Whether `holder` may read on: it holds nothing, the total is within the bound, or it
    /// is the finisher (or becomes it, there being none). Otherwise `resume` is called once it
    /// may (and `false` returned).
    func mayRead(_ holder: ObjectIdentifier, resume: @escaping @Sendable () -> Void) -> Bool {
        self.state.withLockedValue { state in
            guard state.held[holder] != nil, state.total > self.limit else { return true }
            if state.finisher == nil { state.finisher = holder }
            guard state.finisher != holder else { return true }
            state.waiting[holder] = resume
            return false
        }
    }

    /// The bytes held now, for `daemon.info` and the tests.
    var total: Int { self.state.withLockedValue { $0.total } }
}
