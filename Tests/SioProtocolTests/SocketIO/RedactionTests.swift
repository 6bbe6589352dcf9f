import Testing
@testable import SioProtocol

/// A CONNECT's auth never reaches an observer; nothing else is touched.
@Suite struct RedactionTests {
    @Test(arguments: [
        (#"0{"token":"s3cret","sessionId":"abc"}"#, #"0{"redacted":"auth"}"#),
        (#"0/admin,{"token":"s3cret"}"#, #"0/admin,{"redacted":"auth"}"#),
    ])
    func connectWithAuth_isRedacted(text: String, shown: String) {
        #expect(SocketPacket.redactingConnectAuth(text) == shown)
    }

    @Test(arguments: ["0", "0/admin,", #"2["0{\"not\":\"a connect\"}"]"#, #"1/0nsp,"#, "garbage{", ""])
    func anythingElse_isLeftAsItIs(text: String) {
        #expect(SocketPacket.redactingConnectAuth(text) == nil)
    }
}
