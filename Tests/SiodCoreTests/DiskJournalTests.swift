import Foundation
import Logging
import SioJSON
import SioProtocol
import Testing
@testable import SiodCore

/// The disk journal against a real `siod.db` in a scratch directory: rows written in order and
/// published once committed, pruned to `maxBytes`, read back for replays.
@Suite struct DiskJournalTests {
    private func scratch() -> String {
        let path = "/tmp/siod-dj-" + String(UUID().uuidString.prefix(8))
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func rowsArePublishedInOrderOnceCommitted_andPrunedToMaxBytes() async throws {
        let directory = self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try DurableStore(directory: directory)
        let journals = Journals(store: store, maxBytes: 1 << 20, logger: Logger(label: "test"))
        let key = SocketKey(owner: SocketKey.daemonOwner, name: "d")
        let journal = journals.journal(for: key, limits: .default, disk: DiskJournal.Options(maxBytes: 2_000, maxAge: nil))
        let disk = try #require(journal.disk)
        let published = PublishedSeqs()
        for n in 1...300 {
            journal.recordDurably(
                event: "e", arguments: EventArguments([.number(JSONNumber(n))]), ackId: nil, recovery: nil, disk: disk
            ) { seq in published.add(seq) }
        }
        // The last row read back means every earlier write is committed and published.
        let rows = await withCheckedContinuation { continuation in
            disk.rows(after: 0, limit: 1_000) { continuation.resume(returning: $0) }
        }
        #expect(published.seqs == Array(1...300), "published once each, in order")
        let kept = rows.map(\.seq)
        #expect(kept.last == 300 && kept == Array(kept.first!...300), "the newest rows, consecutive")
        let bytes = rows.reduce(0) { $0 + $1.argsText.utf8.count + $1.event.utf8.count + 32 }
        #expect(bytes <= 2_000 && bytes > 1_900, "pruned to maxBytes: \(rows.count) rows, \(bytes) bytes")
        #expect(rows.last?.argsText == "[300]" && rows.last?.event == "e")
        store.close()
    }
}

/// Seqs published, from the store's thread.
private final class PublishedSeqs: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [UInt64] = []
    func add(_ seq: UInt64) { self.lock.withLock { self.list.append(seq) } }
    var seqs: [UInt64] { self.lock.withLock { self.list } }
}
