import Testing
@testable import SioProtocol

@Test func protocolRevisions() {
    #expect(ProtocolRevision.engineIO == 4)
    #expect(ProtocolRevision.socketIO == 5)
}
