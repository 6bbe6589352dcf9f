import Logging
import ServiceLifecycle
import SiodCore
import Systemd
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// The daemon as a service: binds its socket, says `READY=1`, serves until the group shuts
/// down gracefully (SIGTERM, SIGINT), then stops as ``Daemon/stop()`` does: no new clients,
/// answers owed, state saved, sockets disconnected.
struct DaemonService: Service {
    let daemon: Daemon
    let notifier: SystemdNotifier
    let socketPath: String?
    let logger: Logger

    /// Why siod could not start (the message goes to stderr and to systemd).
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        do {
            try await self.daemon.start()
        } catch {
            throw StartFailure(description: "\(error)")
        }
        // The socket is bound and accepting (connections wait in the backlog until run()).
        _ = try? self.notifier.ready()
        _ = try? self.notifier.status(self.daemon.statusLine)
        self.logger.info("ready", metadata: ["rpc.socket": "\(self.socketPath ?? "(passed by systemd)")", "pid": "\(getpid())"])
        // A shutdown asked for while starting runs the handler at once.
        await withGracefulShutdownHandler {
            await self.daemon.run()
        } onGracefulShutdown: { [daemon, notifier, logger] in
            logger.info("signal received, stopping")
            _ = try? notifier.stopping()
            daemon.stop()
        }
    }
}

/// SIGHUP re-reads the configuration, until the group shuts down.
struct ReloadOnHangup: Service {
    let daemon: Daemon

    func run() async {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            _ = try? self.daemon.reload()
        }
    }
}
