/// The reconnection delay of a Manager: exponential with jitter, exactly the reference client's
/// `backo2` (socket.io-client `contrib/backo2.ts`), minus its overflow bug.
///
/// `duration` = `min · 2^attempts`, then a deviation of `floor(r · jitter · ms)` subtracted when
/// `floor(r · 10)` is even and added when it is odd (the same `r` decides size and sign), capped
/// at `max` and truncated to an integer.
///
/// docs/quirks.md #12, fixed: the reference computes `min · 2^attempts` in floating point, which
/// reaches infinity after 1015 attempts and then yields `NaN | 0 == 0`, so about half of all
/// delays become 0 ms after ~85 minutes of failures. Here the exponent is clamped once the delay
/// already exceeds `max`, so a long outage keeps backing off at `max`. Delays up to `Int64.max`
/// are handed out without trapping; negative `min`/`max` count as 0.
public struct Backoff: Sendable, Hashable {
    /// The first delay (`reconnectionDelay`, milliseconds).
    public var min: Int64
    /// The largest delay (`reconnectionDelayMax`, milliseconds).
    public var max: Int64
    /// The jitter (`randomizationFactor`); the reference accepts `0 < jitter <= 1`, else uses 0.
    public var jitter: Double
    /// Delays handed out since the last reset.
    public private(set) var attempts: Int = 0

    /// Negative delays are read as 0.
    public init(min: Int64 = 1000, max: Int64 = 5000, jitter: Double = 0.5) {
        self.min = Swift.max(0, min)
        self.max = Swift.max(0, max)
        self.jitter = jitter > 0 && jitter <= 1 ? jitter : 0
    }

    /// The next delay in milliseconds; `random` supplies `r` in `[0, 1)`.
    public mutating func duration(using random: inout some RandomNumberGenerator) -> Int64 {
        var ms = self.exponentialDelay()
        self.attempts += 1
        if self.jitter > 0 {
            let r = Double(random.next() >> 11) * 0x1p-53
            let deviation = (r * self.jitter * ms).rounded(.down)
            ms = Int((r * 10).rounded(.down)) & 1 == 0 ? ms - deviation : ms + deviation
        }
        let capped = Swift.min(ms, Double(Swift.max(0, self.max))).rounded(.towardZero)
        // `Double(Int64.max)` is 2^63, one past `Int64.max`: converting it would trap.
        guard capped < 0x1p63 else { return .max }
        return Swift.max(0, Int64(capped))
    }

    /// Starts again from `min` (after a successful reconnection, every close, `reconnect_failed`).
    public mutating func reset() {
        self.attempts = 0
    }

    /// `min · 2^attempts`, computed without overflow. Past `16 · max` the exact value no longer
    /// matters: a negative deviation removes less than 90 % of it (`floor(r · 10)` is even only
    /// for `r < 0.9`), so the result stays capped at `max`.
    private func exponentialDelay() -> Double {
        let cap = Double(self.max) * 16
        var ms = Double(Swift.max(0, self.min))
        var remaining = self.attempts
        while remaining > 0 && ms <= cap && ms > 0 {
            ms *= 2
            remaining -= 1
        }
        return ms
    }
}
