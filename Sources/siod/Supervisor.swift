#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import SiodCore
import Systemd

/// What systemd hears while siod runs: `STATUS=` on change (at most once a second), and
/// `WATCHDOG=1` at half the watchdog interval, each ping earned by a health round trip
/// through the event loops and the socket registry (a stuck loop stops the pings).
struct Supervisor: Service {
    let daemon: Daemon
    let notifier: SystemdNotifier
    let watchdog: Watchdog?
    let logger: Logger

    /// The least time between two `STATUS=` messages.
    static let statusInterval: Duration = .seconds(1)

    /// Runs until the group shuts down gracefully (or is cancelled).
    func run() async {
        let (changes, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.daemon.observeChanges { signal.yield() }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.reportStatus(changes) }
                if let watchdog = self.watchdog {
                    group.addTask { await self.feed(watchdog) }
                }
                group.addTask { await self.giveBackMemory() }
            }
        }
    }

    /// After a spike (a server's huge event, a burst of large lines) the freed memory stays in
    /// malloc's arenas: every half minute, what is free goes back to the system.
    private func giveBackMemory() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(30))
            Self.trimMalloc()
        }
    }

    /// glibc's `malloc_trim(0)`: returns the free memory of every malloc arena to the system
    /// (glibc gives back by itself only the top of the main arena, and event loop threads
    /// allocate in arenas of their own). Found at run time: it is in no Swift module, and musl
    /// has none.
    private static func trimMalloc() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }

    private func reportStatus(_ changes: AsyncStream<Void>) async {
        var last = ""
        for await _ in changes {
            let line = self.daemon.statusLine
            guard line != last else { continue }
            last = line
            _ = try? self.notifier.status(line)
            // Rate limit: later changes coalesce into the one buffered signal.
            try? await Task.sleep(for: Self.statusInterval)
        }
    }

    private func feed(_ watchdog: Watchdog) async {
        self.logger.info("watchdog enabled", metadata: ["interval": "\(watchdog.interval)"])
        while !Task.isCancelled {
            if let problem = await self.daemon.healthCheck(timeout: watchdog.pingInterval) {
                self.logger.critical("health check failed, not feeding the watchdog", metadata: ["reason": "\(problem)"])
                _ = try? self.notifier.status("unhealthy: \(problem)")
                _ = try? self.notifier.watchdogTrigger()
            } else {
                _ = try? self.notifier.watchdog()
            }
            try? await Task.sleep(for: watchdog.pingInterval)
        }
    }
}
