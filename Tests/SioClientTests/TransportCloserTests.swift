import Foundation
import Testing
@testable import SioClient

/// Requests of a closed polling transport end at once instead of at their deadline.
@Suite(.timeLimit(.minutes(1))) struct TransportCloserTests {
    @Test func close_cancelsRunningAndLaterWork() async throws {
        let closer = TransportCloser()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await #expect(throws: CancellationError.self) {
                    try await closer.race { try await Task.sleep(for: .seconds(600)) }
                }
            }
            closer.close()
            try await group.waitForAll()
        }
        await #expect(throws: CancellationError.self) { try await closer.race { 1 } }
    }

    @Test func work_finishesNormally_whenNotClosed() async throws {
        let closer = TransportCloser()
        #expect(try await closer.race { 42 } == 42)
    }
}
