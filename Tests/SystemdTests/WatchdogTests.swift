#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing

@testable import Systemd

extension ProcessEnvironmentTests {
    @Suite("Watchdog from WATCHDOG_USEC / WATCHDOG_PID")
    struct WatchdogTests {
        @Test func ourPid_givesIntervalAndHalfCadence() throws {
            let watchdog = try withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(getpid())]) {
                try Watchdog.fromEnvironment()
            }
            #expect(watchdog?.interval == .seconds(2))
            #expect(watchdog?.pingInterval == .seconds(1))
        }

        @Test func noPid_givesInterval() throws {
            let watchdog = try withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": nil]) {
                try Watchdog.fromEnvironment()
            }
            #expect(watchdog?.interval == .seconds(2))
        }

        @Test func anotherPid_givesNil() throws {
            let other = getpid() == 1 ? 2 : 1
            let watchdog = try withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(other)]) {
                try Watchdog.fromEnvironment()
            }
            #expect(watchdog == nil)
        }

        @Test func unset_givesNil() throws {
            let watchdog = try withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                try Watchdog.fromEnvironment()
            }
            #expect(watchdog == nil)
        }

        @Test func malformed_throws() {
            #expect(throws: SystemdError.self) {
                try withEnvironment(["WATCHDOG_USEC": "soon", "WATCHDOG_PID": nil]) { try Watchdog.fromEnvironment() }
            }
        }
    }
}
