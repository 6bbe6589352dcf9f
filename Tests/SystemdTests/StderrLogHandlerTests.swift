import Logging
import Testing

@testable import Systemd

@Suite("StderrLogHandler lines")
struct StderrLogHandlerTests {
    @Test func line_hasLevelLabelMessageAndSortedMetadata() {
        let line = StderrLogHandler.line(level: .info, label: "siod.rpc", message: "accepted", metadata: ["socket": "main", "peer.uid": "1000"])
        #expect(line == "info siod.rpc: accepted peer.uid=1000 socket=main")
    }

    @Test func lineBreaks_areEscaped_andAwkwardValuesQuoted() {
        let line = StderrLogHandler.line(
            level: .error,
            label: "x",
            message: "a\nb",
            metadata: ["error": "no route\nto host", "empty": "", "q": "say \"hi\""]
        )
        #expect(line == #"error x: a\nb empty="" error="no route\nto host" q="say \"hi\"""#)
    }
}

@Suite("redactedURL")
struct RedactedURLTests {
    @Test(arguments: [
        ("https://user:secret@example.com:8443/socket.io/?EIO=4&token=abc", "https://example.com:8443/socket.io/"),
        ("wss://example.com/path#frag", "wss://example.com/path"),
        ("http://example.com", "http://example.com"),
        ("http://a@b@example.com/x?y", "http://example.com/x"),
        ("https://example.com/user@host?q", "https://example.com/user@host"),
        ("not a url?token=1", "not a url"),
    ])
    func stripsUserInfoQueryAndFragment(url: String, expected: String) {
        #expect(redactedURL(url) == expected)
    }
}
