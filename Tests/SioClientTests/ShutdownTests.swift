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

extension ShutdownTests {
    /// A server that accepts TCP and never answers the WebSocket upgrade (a stopped process
    /// does that: the kernel completes the handshake) cannot hold a shutdown.
    @Test func shutdown_withAnUpgradeNobodyAnswers_endsRun() async throws {
        let listener = try SilentListener()
        let manager = try Manager(url: "http://127.0.0.1:\(listener.port)", options: .transports([.websocket]))
        let socket = try manager.socket()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await manager.run() }
            socket.connect()
            // The connection is accepted by the kernel: the upgrade request is out.
            try listener.waitForConnection()
            manager.shutdown()
            try await group.waitForAll()
        }
        #expect(ContinuousClock.now - started < .seconds(5), "the one-second shutdown deadline, not the server")
    }
}

/// A TCP socket on 127.0.0.1 that listens and never accepts.
private final class SilentListener: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Returns once a client has connected (the kernel queued it; nobody accepts it).
    func waitForConnection() throws {
        var pending = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pending, 1, 10_000) == 1 else { throw POSIXError(.ETIMEDOUT) }
    }

    deinit { close(self.fd) }
}
