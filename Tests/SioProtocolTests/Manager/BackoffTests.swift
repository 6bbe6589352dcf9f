import Testing
@testable import SioProtocol

/// A generator that yields the scripted `r` values of `Math.random()`.
struct ScriptedRandom: RandomNumberGenerator, Sendable {
    var values: [Double]
    var index = 0

    init(_ values: [Double]) { self.values = values }

    mutating func next() -> UInt64 {
        let r = self.values.isEmpty ? 0 : self.values[self.index % self.values.count]
        self.index += 1
        return UInt64((r * 0x1p53).rounded()) << 11
    }
}

/// The reference backoff (socket.io-client `backo2.ts`), numbers from running it
/// (docs/behaviour.md § Test vectors).
@Suite struct BackoffTests {
    private func sequence(r: Double, jitter: Double = 0.5, count: Int) -> [Int64] {
        var backoff = Backoff(min: 1000, max: 5000, jitter: jitter)
        var random = ScriptedRandom([r])
        return (0..<count).map { _ in backoff.duration(using: &random) }
    }

    @Test func referenceSequences() {
        #expect(self.sequence(r: 0, count: 5) == [1000, 2000, 4000, 5000, 5000])
        #expect(self.sequence(r: 0.05, count: 4) == [975, 1950, 3900, 5000])
        #expect(self.sequence(r: 0.15, count: 4) == [1075, 2150, 4300, 5000])
        #expect(self.sequence(r: 0.95, count: 3) == [1475, 2950, 5000])
        #expect(self.sequence(r: 0.7, jitter: 0, count: 4) == [1000, 2000, 4000, 5000])
    }

    @Test func firstDelay_staysWithinTheReferenceRange() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            var backoff = Backoff()
            let delay = backoff.duration(using: &random)
            #expect(delay >= 551 && delay <= 1499)
        }
    }

    @Test func longOutage_neverFallsToZero_quirk12() {
        var backoff = Backoff()
        var random = ScriptedRandom([0.0, 0.05, 0.25, 0.85, 0.5, 0.99])
        for attempt in 0..<1100 {
            let delay = backoff.duration(using: &random)
            if attempt >= 4 { #expect(delay == 5000, "attempt \(attempt)") }
        }
        #expect(backoff.attempts == 1100)
    }

    @Test func reset_startsAgainFromTheMinimum() {
        var backoff = Backoff(min: 300, max: 1200, jitter: 0)
        var random = ScriptedRandom([0])
        #expect(backoff.duration(using: &random) == 300)
        #expect(backoff.duration(using: &random) == 600)
        backoff.reset()
        #expect(backoff.attempts == 0)
        #expect(backoff.duration(using: &random) == 300)
    }

    @Test func jitterOutsideTheReferenceRange_isIgnored() {
        #expect(Backoff(jitter: 1.5).jitter == 0)
        #expect(Backoff(jitter: -1).jitter == 0)
        #expect(Backoff(jitter: 1).jitter == 1)
    }

    @Test func minAboveMax_alwaysGivesMax() {
        var backoff = Backoff(min: 9000, max: 5000, jitter: 0)
        var random = ScriptedRandom([0])
        #expect(backoff.duration(using: &random) == 5000)
    }
}

// MARK: - Out-of-range configuration

extension BackoffTests {
    @Test func hugeOrNegativeDelays_neverTrap() {
        var random = ScriptedRandom([0.99])
        var huge = Backoff(min: .max, max: .max, jitter: 0.5)
        #expect(huge.duration(using: &random) == .max)
        #expect(huge.duration(using: &random) == .max)
        var negative = Backoff(min: -5, max: -1, jitter: 0.5)
        #expect(negative.duration(using: &random) == 0)
    }

    @Test func negativeManagerDelays_meanZero() throws {
        var h = ManagerHarness(ManagerConfiguration(reconnectionDelay: -100, reconnectionDelayMax: -1, engine: EngineConfiguration(transports: [.websocket])))
        try h.run { try $0.connect("/", now: $1) }
        h.webSocketFails()
        #expect(h.timer { if case .reconnect = $0 { true } else { false } } == 0)
    }
}
