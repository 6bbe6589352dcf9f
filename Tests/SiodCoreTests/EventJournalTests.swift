import SioJSON
import SioProtocol
import Testing
@testable import SiodCore

/// The event journal's numbering and replay (docs/rpc.md § The event journal).
@Suite struct EventJournalTests {
    /// Appends and publishes `count` events, as a journal in memory does.
    private func fill(_ journal: inout EventJournal, _ count: Int, bytes: Int = 10) {
        for _ in 0..<count {
            let seq = journal.append(event: "e", arguments: EventArguments([]), ackId: nil, bytes: bytes).seq
            journal.published(through: seq)
        }
    }

    @Test func aReplayGoesNoFurtherThanWhatIsPublished() {
        var journal = EventJournal(limits: .init(events: 100, bytes: 1_000))
        self.fill(&journal, 3)
        // A disk journal numbers and keeps an event before its row is committed and it is
        // published: a replay must not send it ahead of the live stream.
        _ = journal.append(event: "e", arguments: EventArguments([]), ackId: nil, bytes: 10)
        #expect(journal.lastSeq == 4 && journal.publishedThrough == 3)
        #expect(journal.replay(after: 1).entries.map(\.seq) == [2, 3])
        journal.published(through: 4)
        #expect(journal.replay(after: 1).entries.map(\.seq) == [2, 3, 4])
    }

    @Test func seqStartsWhereTheSavedCounterSays_andReservesAheadOnDisk() {
        var journal = EventJournal(nextSeq: 500)
        let first = journal.append(event: "e", arguments: EventArguments([]), ackId: nil, bytes: 1)
        #expect(first.seq == 500)
        #expect(first.reserve == 501 + EventJournal.reservationStep, "the first event reserves numbers past itself")
        let second = journal.append(event: "e", arguments: EventArguments([]), ackId: nil, bytes: 1)
        #expect(second.seq == 501 && second.reserve == nil)
        var fresh = EventJournal()
        let r1 = fresh.append(event: "e", arguments: EventArguments([]), ackId: nil, bytes: 1)
        #expect(r1.seq == 1)
    }

    @Test func theReservationIsRenewedBeforeItRunsOut() {
        var journal = EventJournal(nextSeq: 1, limits: .init(events: 0, bytes: 0))
        var reservations: [UInt64] = []
        for _ in 0..<Int(EventJournal.reservationStep) {
            if let reserve = journal.append(event: "e", arguments: EventArguments([]), ackId: nil, bytes: 1).reserve {
                reservations.append(reserve)
                #expect(reserve >= journal.nextSeq + EventJournal.reserveAhead, "never used past what is saved")
            }
        }
        #expect(reservations.count == 2)
        #expect(journal.entries.isEmpty, "a journal of size 0 keeps nothing but still numbers")
    }

    @Test func replayAfterASeq_givesWhatFollows_andTheGapOfWhatIsGone() {
        var journal = EventJournal(limits: .init(events: 5, bytes: 1_000))
        self.fill(&journal, 12)
        #expect(journal.firstSeq == 8 && journal.lastSeq == 12)
        let recent = journal.replay(after: 9)
        #expect(recent.gap == nil && recent.entries.map(\.seq) == [10, 11, 12])
        let old = journal.replay(after: 3)
        #expect(old.gap == 4...7 && old.entries.map(\.seq) == [8, 9, 10, 11, 12])
        #expect(journal.replay(after: 7).gap == nil, "nothing between 7 and the oldest held")
        let part = journal.replay(after: 3, limit: 2)
        #expect(part.gap == 4...7 && part.entries.map(\.seq) == [8, 9], "a replay in parts")
        #expect(journal.replay(after: 12).entries.isEmpty && journal.replay(after: 40).entries.isEmpty)
    }

    @Test func anEmptyJournal_reportsEverythingAfterTheSeqAsGone() {
        var journal = EventJournal(nextSeq: 100, limits: .init(events: 0, bytes: 0))
        #expect(journal.replay(after: 50).gap == 51...99, "numbers reserved before a restart may have been used: reported gone")
        self.fill(&journal, 3)
        let replay = journal.replay(after: 50)
        #expect(replay.gap == 51...102 && replay.entries.isEmpty)
    }

    @Test func theByteBoundLetsTheOldestGo() {
        var journal = EventJournal(limits: .init(events: 100, bytes: 35))
        self.fill(&journal, 3)
        let fourth = journal.append(event: "e", arguments: EventArguments([]), ackId: nil, bytes: 10)
        #expect(fourth.freed == 10)
        #expect(journal.firstSeq == 2 && journal.bytes == 30)
        let r2 = journal.dropOldest()
        #expect(r2 == 10 && journal.firstSeq == 3)
    }
}
