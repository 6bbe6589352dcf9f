import NIOCore
import SioProtocol

/// One socket's received events, numbered (docs/rpc.md § The event journal): the `seq` counter
/// and the last events, kept so that a subscriber can ask for what it missed (`since`, a
/// consumer's position). A value: the registry holds it under the lock that also orders its
/// live notifications, so that a replay and the live stream meet with no gap and no duplicate.
///
/// `seq` is never reused, across reconnects and restarts: numbers are reserved on disk ahead of
/// use (``reserveAhead``, ``reservationStep``), and a restart after a crash starts past the
/// reservation. A clean stop saves the exact next number.
struct EventJournal: Sendable {
    struct Entry: Sendable {
        let seq: UInt64
        let event: String
        let arguments: EventArguments
        let ackId: UInt64?
        /// What it costs the journal's byte bound (about its RPC size).
        let bytes: Int
    }

    /// How much it keeps: the last `events` events, at most `bytes` of them.
    struct Limits: Sendable, Hashable {
        var events: Int
        var bytes: Int

        static let `default` = Limits(events: 10_000, bytes: 16 << 20)
    }

    /// An event read back from a disk journal: its arguments as their RPC text.
    struct StoredEntry: Sendable {
        let seq: UInt64
        let event: String
        let argsText: String
        let ackId: UInt64?
    }

    /// What a subscriber starting after `seq` gets: the numbers the journal no longer holds
    /// (``gap``), then the events it holds.
    struct Replay: Sendable {
        var gap: ClosedRange<UInt64>?
        var entries: [Entry]
    }

    private(set) var entries = CircularBuffer<Entry>()
    private(set) var bytes = 0
    /// The `seq` of the next event.
    private(set) var nextSeq: UInt64
    /// Numbers below this one are reserved on disk (a restart after a crash starts here).
    private(set) var reservedUntil: UInt64
    /// The last `seq` published to subscribers: every event up to it, and no later one. A
    /// disk journal publishes an event once its row is on disk, so this may trail ``lastSeq``;
    /// a replay goes no further.
    private(set) var publishedThrough: UInt64
    var limits: Limits

    /// Reserve again when fewer than this many numbers are left.
    static let reserveAhead: UInt64 = 50_000
    /// How far each reservation reaches past the next number.
    static let reservationStep: UInt64 = 100_000

    /// A journal whose next event is numbered `nextSeq` (what was saved for the socket; 1 for a
    /// socket never seen), with numbers below `reservedUntil` already reserved on disk.
    init(nextSeq: UInt64 = 1, reservedUntil: UInt64 = 0, limits: Limits = .default) {
        self.nextSeq = max(nextSeq, 1)
        self.reservedUntil = max(reservedUntil, self.nextSeq)
        self.publishedThrough = self.nextSeq - 1
        self.limits = limits
    }

    /// Events up to `seq` are published.
    mutating func published(through seq: UInt64) {
        self.publishedThrough = max(self.publishedThrough, seq)
    }

    /// Numbers below `until` are being reserved (by the caller, on disk).
    mutating func reserved(until: UInt64) {
        self.reservedUntil = max(self.reservedUntil, until)
    }

    /// The oldest `seq` held, if any.
    var firstSeq: UInt64? { self.entries.first?.seq }

    /// The `seq` of the last event numbered, 0 before the first.
    var lastSeq: UInt64 { self.nextSeq - 1 }

    /// Numbers and keeps an event. `reserve`: the number to save on disk before this one's
    /// reservation runs out (nil: the reservation stands). `freed`: bytes of older events let go.
    mutating func append(event: String, arguments: EventArguments, ackId: UInt64?, bytes: Int) -> (seq: UInt64, reserve: UInt64?, freed: Int) {
        let seq = self.nextSeq
        self.nextSeq += 1
        var reserve: UInt64?
        if self.reservedUntil < self.nextSeq + Self.reserveAhead {
            self.reservedUntil = self.nextSeq + Self.reservationStep
            reserve = self.reservedUntil
        }
        var freed = 0
        if self.limits.events > 0 && self.limits.bytes > 0 {
            self.entries.append(Entry(seq: seq, event: event, arguments: arguments, ackId: ackId, bytes: bytes))
            self.bytes += bytes
            while self.entries.count > self.limits.events || (self.bytes > self.limits.bytes && !self.entries.isEmpty) {
                freed += self.dropOldest()
            }
        }
        return (seq, reserve, freed)
    }

    /// Lets the oldest event go (the process-wide bound); returns its bytes, 0 if none.
    @discardableResult
    mutating func dropOldest() -> Int {
        guard let oldest = self.entries.popFirst() else { return 0 }
        self.bytes -= oldest.bytes
        return oldest.bytes
    }

    /// What follows `seq`: the gap (numbers used but no longer held), then the events held,
    /// at most `limit` of them. Nothing when `seq` is the last number or past it.
    func replay(after seq: UInt64, limit: Int = .max) -> Replay {
        guard seq < self.publishedThrough else { return Replay(gap: nil, entries: []) }
        let wanted = seq + 1
        let first = self.firstSeq ?? self.nextSeq
        let gap = wanted < first ? wanted...(first - 1) : nil
        // Entries are consecutive: the start is found by arithmetic, not a search.
        let skip = wanted > first ? Int(wanted - first) : 0
        var entries: [Entry] = []
        entries.reserveCapacity(min(self.entries.count - skip, limit))
        var index = self.entries.index(self.entries.startIndex, offsetBy: skip)
        while index != self.entries.endIndex && entries.count < limit && self.entries[index].seq <= self.publishedThrough {
            entries.append(self.entries[index])
            index = self.entries.index(after: index)
        }
        return Replay(gap: gap, entries: entries)
    }
}
