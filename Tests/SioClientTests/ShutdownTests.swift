import Foundation
import Testing
@testable import SioClient

/// Calls on a Manager that has shut down are answered, never left waiting.
@Suite(.timeLimit(.minutes(1))) struct ShutdownTests {
    @Test func emitAfterShutdown_isRefusedAtOnce() async throws {
        let manager = try Manager(url: "http://127.0.0.1:9")
        let socket = try manager.socket()
        manager.shutdown()
        try await manager.run()
        await #expect(throws: ClientError.notRunning) { try await socket.emit("late") }
        await #expect(throws: ClientError.notRunning) { try await socket.emitWithAck("late", [], timeout: .seconds(1)) }
        await #expect(throws: ClientError.notRunning) { try await socket.ack(1) }
    }

    @Test func emitWithAck_whileShuttingDown_isAnswered() async throws {
        let manager = try Manager(url: "http://127.0.0.1:9", options: .transports([.websocket]) { $0.reconnection = false })
        let socket = try manager.socket()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await manager.run() }
            group.addTask {
                await #expect(throws: ClientError.self) { try await socket.emitWithAck("buffered") }
            }
            socket.connect()
            manager.shutdown()
            try await group.waitForAll()
        }
    }
}
