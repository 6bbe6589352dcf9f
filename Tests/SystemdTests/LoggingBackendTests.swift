#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing

@testable import Systemd

@Suite("JOURNAL_STREAM detection")
struct LoggingBackendTests {
    @Test func matchingValue_isJournal() throws {
        let identity = try #require(LoggingBackend.stderrIdentity())
        #expect(LoggingBackend.isJournalStream("\(identity.device):\(identity.inode)", device: identity.device, inode: identity.inode))
    }

    @Test func realStderr_againstFakeValue_isNotJournal() throws {
        let identity = try #require(LoggingBackend.stderrIdentity())
        let fake = "\(identity.device &+ 1):\(identity.inode)"
        #expect(!LoggingBackend.isJournalStream(fake, device: identity.device, inode: identity.inode))
        #expect(!LoggingBackend.isJournalStream("\(identity.device):\(identity.inode &+ 1)", device: identity.device, inode: identity.inode))
    }

    @Test(arguments: [nil, "", "8:", ":42", "8:42:1", "x:42", "8 :42", "-8:42"] as [String?])
    func malformedOrMissing_isNotJournal(value: String?) {
        #expect(!LoggingBackend.isJournalStream(value, device: 8, inode: 42))
    }

    @Test func exactValue_isJournal() {
        #expect(LoggingBackend.isJournalStream("8:42", device: 8, inode: 42))
    }
}
