import Testing
@testable import SioProtocol

@Test func version_namesTheProtocolRevisions() {
    #expect(SiodVersion.engineIOProtocol == 4)
    #expect(SiodVersion.socketIOProtocol == 5)
}
