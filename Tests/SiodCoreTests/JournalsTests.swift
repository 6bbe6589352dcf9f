import Logging
import SioJSON
import SioProtocol
import Testing
@testable import SiodCore

/// What the journals of closed names cost (docs/rpc.md § The event journal): their events go
/// first when the journals are over their bound, and an empty one is forgotten, its counter
/// kept, so that numbering goes on when the name is opened again.
@Suite struct JournalsTests {
    private func journals(maxBytes: Int) -> Journals {
        Journals(store: nil, maxBytes: maxBytes, logger: Logger(label: "test"))
    }

    private func key(_ name: String) -> SocketKey { SocketKey(owner: 1000, name: name) }

    /// Records `count` events of `bytes` bytes of arguments; returns their seqs.
    @discardableResult
    private func record(_ journal: SocketJournal, _ count: Int, text: String = "0123456789") -> [UInt64] {
        var seqs: [UInt64] = []
        for _ in 0..<count {
            journal.record(event: "e", arguments: EventArguments([.string(text)]), ackId: nil) { seqs.append($0) }
        }
        return seqs
    }

    @Test func aClosedNamesEventsGoFirst_thenItIsForgotten_andItsNumberingGoesOn() {
        // Room for about ten events (each ~80 bytes counted).
        let journals = self.journals(maxBytes: 800)
        let open = journals.journal(for: self.key("open"), limits: nil)
        let closed = journals.journal(for: self.key("closed"), limits: nil)
        #expect(self.record(closed, 4) == [1, 2, 3, 4])
        journals.closed(self.key("closed"))
        #expect(journals.counts == (2, 1), "a closed name with events stays")

        self.record(open, 10)
        // The open socket's events pushed the closed name's out, and not its own.
        #expect(open.state.withLockedValue { $0.entries.count } == 10)
        #expect(journals.existing(self.key("closed")) == nil, "emptied, the closed name's journal is forgotten")
        #expect(journals.knows(self.key("closed")))
        #expect(journals.counts == (1, 0))

        // Opened again, the name numbers on from its counter.
        let again = journals.journal(for: self.key("closed"), limits: nil)
        journals.opened(self.key("closed"))
        #expect(self.record(again, 1) == [5])
    }

    @Test func anEmptyClosedJournal_isForgottenAtOnce_andALateEventGoesToItsSuccessor() {
        let journals = self.journals(maxBytes: 1 << 20)
        let key = self.key("quiet")
        let journal = journals.journal(for: key, limits: EventJournal.Limits(events: 0, bytes: 0))
        #expect(self.record(journal, 3) == [1, 2, 3], "numbered though not kept")
        journals.closed(key)
        #expect(journals.existing(key) == nil)
        // An event the socket delivers after its close: numbered after the others, once.
        #expect(self.record(journal, 1) == [4])
        #expect(self.record(journals.journal(for: key, limits: nil), 1) == [5])
    }

    @Test func namesOpenedAndClosedWithoutEnd_leaveOnlyTheirCounters() {
        let journals = self.journals(maxBytes: 4_000)
        for n in 0..<5_000 {
            let key = self.key("job-\(n)")
            let journal = journals.journal(for: key, limits: nil)
            journals.opened(key)
            self.record(journal, 2)
            journals.closed(key)
        }
        let (inMemory, closed) = journals.counts
        #expect(inMemory <= 30 && closed == inMemory, "\(inMemory) journals in memory")
        #expect(journals.heldBytes <= 4_000)
        #expect(journals.knows(self.key("job-0")) && journals.knows(self.key("job-4999")))
    }

    @Test func aNameOpenedAgain_isNoLongerClosed() {
        let journals = self.journals(maxBytes: 400)
        let key = self.key("back")
        let journal = journals.journal(for: key, limits: nil)
        self.record(journal, 2)
        journals.closed(key)
        journals.opened(key)
        #expect(journals.counts == (1, 0))
        // Over the bound, its own oldest go: it is never forgotten while open.
        self.record(journal, 20)
        #expect(journals.existing(key) === journal)
        #expect(journal.state.withLockedValue { $0.entries.count } >= 1)
    }
}
