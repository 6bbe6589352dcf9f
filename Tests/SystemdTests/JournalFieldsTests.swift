import Logging
import Testing

@testable import Systemd

@Suite("Journal field names and priorities")
struct JournalFieldsTests {
    @Test(arguments: [
        ("socket", "SIOD_SOCKET"),
        ("peer.uid", "SIOD_PEER_UID"),
        ("connection-id", "SIOD_CONNECTION_ID"),
        ("SIOD_URL", "SIOD_URL"),
        ("siod_url", "SIOD_URL"),
        ("_TRUSTED", "SIOD__TRUSTED"),
        ("2fa", "SIOD_2FA"),
        ("MESSAGE", "SIOD_MESSAGE"),
        ("Siod.Peer", "SIOD_PEER"),
        ("café", "SIOD_CAF_"),
    ])
    func metadataKey_mapsToValidFieldName(key: String, expected: String) {
        #expect(JournalFields.fieldName(forMetadataKey: key) == expected)
    }

    @Test func emptyKey_isDropped() {
        #expect(JournalFields.fieldName(forMetadataKey: "") == nil)
    }

    @Test func longKey_isCutAt64() {
        let name = JournalFields.fieldName(forMetadataKey: String(repeating: "k", count: 100))
        #expect(name?.count == 64)
        #expect(name?.hasPrefix("SIOD_KKK") == true)
    }

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func level_mapsToSyslogPriority(level: Logger.Level, priority: Int) {
        #expect(JournalFields.priority(for: level) == priority)
    }

    @Test func fields_carryStandardFieldsThenSortedMetadata() {
        let fields = JournalFields.fields(
            identifier: "siod",
            label: "siod.rpc",
            level: .warning,
            message: "two\nlines",
            metadata: ["peer.uid": "1000", "socket": "main", "": "dropped"],
            file: "siod/Server.swift",
            function: "accept()",
            line: 42
        )
        #expect(fields.map(\.name) == [
            "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "SIOD_LOGGER",
            "SIOD_PEER_UID", "SIOD_SOCKET",
        ])
        #expect(fields.map(\.value) == [
            "two\nlines", "4", "siod", "siod/Server.swift", "42", "accept()", "siod.rpc", "1000", "main",
        ])
    }
}
