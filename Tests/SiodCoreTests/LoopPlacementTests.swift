import NIOCore
import NIOPosix
import Testing
@testable import SiodCore

/// Where new Managers live: with the client that opened them, spread once that client opens
/// many.
@Suite struct LoopPlacementTests {
    /// Two loops (only their identities matter), shut down after `body`.
    private func withLoops(_ body: (any EventLoop, any EventLoop) -> Void) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let loops = Array(group.makeIterator())
        body(loops[0], loops[1])
    }

    @Test func aFewManagers_liveOnTheOpeningClientsLoop() {
        self.withLoops { other, client in
            var placement = LoopPlacement(loops: [other, client], margin: 8)
            for _ in 0..<9 { #expect(placement.place(preferring: client) === client) }
            #expect(placement.place(preferring: client) === other, "nine ahead of the other loop, past the margin")
        }
    }

    @Test func manyManagersFromOneClient_spreadOverEveryLoop() {
        self.withLoops { client, other in
            var placement = LoopPlacement(loops: [client, other], margin: 8)
            var onClient = 0
            for _ in 0..<1000 where placement.place(preferring: client) === client { onClient += 1 }
            #expect(abs(onClient - (1000 - onClient)) <= 9, "\(onClient) of 1000 on the client's loop")
        }
    }

    @Test func releasedManagers_makeRoomAgain() {
        self.withLoops { first, second in
            var placement = LoopPlacement(loops: [first, second], margin: 0)
            #expect(placement.place(preferring: first) === first)
            #expect(placement.place(preferring: first) === second, "past a margin of 0, the least loaded")
            placement.release(second)
            #expect(placement.place(preferring: first) === second, "the other loop is emptier again")
        }
    }

    @Test func noPreference_takesTheLeastLoaded() {
        self.withLoops { first, second in
            var placement = LoopPlacement(loops: [first, second])
            let a = placement.place(preferring: nil)
            let b = placement.place(preferring: nil)
            #expect(a !== b)
        }
    }
}
