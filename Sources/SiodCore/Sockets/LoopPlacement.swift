import NIOCore

/// Which event loop a new Manager lives on: the loop of the RPC connection that opened it, so
/// that the emits of that client and their answers never cross threads, unless that loop
/// already holds `margin` Managers more than the least loaded one; then the least loaded.
/// One client opening thousands of sockets still spreads them over every loop.
struct LoopPlacement {
    private var counts: [ObjectIdentifier: Int] = [:]
    private let loops: [any EventLoop]
    private let margin: Int

    init(loops: [any EventLoop], margin: Int = 8) {
        precondition(!loops.isEmpty, "an event loop group has loops")
        self.loops = loops
        self.margin = margin
        for loop in loops { self.counts[ObjectIdentifier(loop)] = 0 }
    }

    /// Picks a loop for a new Manager and counts it there.
    mutating func place(preferring preferred: (any EventLoop)?) -> any EventLoop {
        var least = self.loops[0]
        for loop in self.loops where self.count(loop) < self.count(least) { least = loop }
        var chosen = least
        if let preferred, self.counts[ObjectIdentifier(preferred)] != nil, self.count(preferred) <= self.count(least) + self.margin {
            chosen = preferred
        }
        self.counts[ObjectIdentifier(chosen), default: 0] += 1
        return chosen
    }

    private func count(_ loop: any EventLoop) -> Int { self.counts[ObjectIdentifier(loop), default: 0] }

    /// A Manager on `loop` is gone.
    mutating func release(_ loop: any EventLoop) {
        let id = ObjectIdentifier(loop)
        if let count = self.counts[id], count > 0 { self.counts[id] = count - 1 }
    }
}
