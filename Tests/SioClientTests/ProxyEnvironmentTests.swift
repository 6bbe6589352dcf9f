import Foundation
import Testing
@testable import SioClient

/// Which proxy a Manager uses: the option, else `https_proxy`/`http_proxy` unless `no_proxy`.
@Suite struct ProxyEnvironmentTests {
    private let options = ManagerOptions()

    @Test func explicitProxy_wins() {
        var options = ManagerOptions()
        options.proxy = .init(host: "p", port: 3128)
        #expect(options.effectiveProxy(host: "127.0.0.1", secure: false, environment: ["http_proxy": "http://env:1"]) == .init(host: "p", port: 3128))
    }

    @Test func environment_bySchemeAndCase() {
        let environment = ["HTTPS_PROXY": "http://secure-proxy:8443", "http_proxy": "plain-proxy:8080"]
        #expect(self.options.effectiveProxy(host: "example.com", secure: true, environment: environment) == .init(host: "secure-proxy", port: 8443))
        #expect(self.options.effectiveProxy(host: "example.com", secure: false, environment: environment) == .init(host: "plain-proxy", port: 8080))
    }

    @Test func noProxy_andLoopback_areNeverProxiedFromTheEnvironment() {
        let environment = ["http_proxy": "http://proxy:3128", "no_proxy": "internal.example, .corp"]
        #expect(self.options.effectiveProxy(host: "internal.example", secure: false, environment: environment) == nil)
        #expect(self.options.effectiveProxy(host: "a.b.corp", secure: false, environment: environment) == nil)
        #expect(self.options.effectiveProxy(host: "example.com", secure: false, environment: environment) != nil)
        #expect(self.options.effectiveProxy(host: "127.0.0.1", secure: false, environment: environment) == nil)
        #expect(self.options.effectiveProxy(host: "localhost", secure: false, environment: environment) == nil)
        #expect(self.options.effectiveProxy(host: "example.com", secure: false, environment: ["http_proxy": "x:1", "no_proxy": "*"]) == nil)
    }

    @Test func environmentProxy_canBeTurnedOff() {
        var options = ManagerOptions()
        options.useEnvironmentProxy = false
        #expect(options.effectiveProxy(host: "example.com", secure: false, environment: ["http_proxy": "http://proxy:3128"]) == nil)
    }
}

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

/// The per-Manager cookie jar (sticky sessions).
@Suite struct CookieJarTests {
    @Test func storesAndSends_nameAndValue() {
        var jar = CookieJar()
        jar.store(["io=abc; Path=/; HttpOnly", "lb=\"node1\"; SameSite=Lax"], now: 0)
        #expect(jar.header(now: 1) == "io=abc; lb=node1")
        jar.store(["io=def"], now: 2)
        #expect(jar.header(now: 3) == "lb=node1; io=def")
    }

    @Test func maxAge_andExpires_delete() throws {
        var jar = CookieJar()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        jar.store(["a=1; Max-Age=10", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "c=3"], now: 1000, date: now)
        #expect(jar.header(now: 1000) == "a=1; c=3")
        #expect(jar.header(now: 11_000) == "c=3")
        jar.store(["c=3; Max-Age=0"], now: 12_000, date: now)
        #expect(jar.header(now: 12_000) == nil)
    }

    @Test func hostileMaxAge_neverTraps() {
        var jar = CookieJar()
        jar.store(["a=1; Max-Age=9223372036854775807", "b=2; Max-Age=-9223372036854775808"], now: 5)
        #expect(jar.header(now: 6) == "a=1")
    }
}

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
