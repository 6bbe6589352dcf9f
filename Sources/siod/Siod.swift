import ArgumentParser
import Foundation
import Logging
import RPC
import ServiceLifecycle
import SiodCore
import SioProtocol
import SiodShared
import Systemd
#if canImport(Glibc)
import Glibc
#endif

@main
struct Siod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siod",
        abstract: "Owns Socket.IO client connections and lends them to local processes over JSON-RPC.",
        discussion: """
        The RPC socket is the one systemd passes (named "rpc"), else --socket, $SIOD_SOCKET, \
        /run/siod/siod.sock for root, $XDG_RUNTIME_DIR/siod/siod.sock, /tmp/siod-<uid>/siod.sock.

        SIGHUP re-reads the configuration; SIGTERM and SIGINT stop gracefully. See docs/rpc.md.
        """,
        version: "siod \(SiodVersion.string) (Engine.IO v\(ProtocolRevision.engineIO), Socket.IO v\(ProtocolRevision.socketIO))"
    )

    @Option(help: "The RPC socket's path.")
    var socket: String?

    @Option(help: "Make the socket 0660 and owned by this group (name or number).")
    var socketGroup: String?

    @Option(help: "The state directory (default: $STATE_DIRECTORY, $XDG_STATE_HOME/siod, ~/.local/state/siod).")
    var stateDir: String?

    @Option(help: "The configuration file (default: /etc/siod/siod.json for root, else $XDG_CONFIG_HOME/siod/siod.json).")
    var config: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(help: "The longest request line, in bytes.")
    var maxLineLength: Int = RPCLimits().maxLineLength

    @Option(help: "Bytes of unfinished request lines held for all clients together; beyond, clients holding part of a line are not read until it falls back.")
    var maxPendingBytes: Int = RPCLimits().maxPendingBytes

    @Option(help: "Requests in flight per client.")
    var maxRequestsPerClient: Int = RPCLimits().maxConcurrentRequestsPerClient

    @Option(help: "Clients connected at once.")
    var maxClients: Int = RPCLimits().maxClients

    @Option(help: "Clients connected at once per user id.")
    var maxClientsPerUid: Int = RPCLimits().maxClientsPerUID

    @Option(help: "Notifications queued for a slow client before the oldest are dropped.")
    var maxQueuedNotifications: Int = RPCLimits().maxQueuedNotifications

    @Option(help: "Bytes of notifications queued for a slow client before the oldest are dropped.")
    var maxQueuedBytes: Int = RPCLimits().maxQueuedNotificationBytes

    @Option(help: "Bytes the in-memory event journals of all sockets may hold together; beyond, closed sockets' events go first, then the receiving socket's oldest.")
    var maxJournalBytes: Int = DaemonConfiguration.defaultMaxJournalBytes

    @Option(help: "Seconds an RPC connection may stay idle (no request in flight, no subscription, no connection-lifetime socket) before it is closed; 0: never.")
    var idleTimeout: Int = 300

    func validate() throws {
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical")
        }
        for (name, value) in [
            ("--max-line-length", self.maxLineLength), ("--max-pending-bytes", self.maxPendingBytes),
            ("--max-requests-per-client", self.maxRequestsPerClient),
            ("--max-clients", self.maxClients), ("--max-clients-per-uid", self.maxClientsPerUid),
            ("--max-queued-notifications", self.maxQueuedNotifications), ("--max-queued-bytes", self.maxQueuedBytes),
            ("--max-journal-bytes", self.maxJournalBytes),
        ] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        guard self.idleTimeout >= 0 else { throw ValidationError("--idle-timeout must be 0 (never) or more seconds") }
    }

    func run() async throws {
        LoggingBackend.bootstrap(level: Logger.Level(rawValue: self.logLevel) ?? .info)
        let logger = Logger(label: "siod")
        let notifier = SystemdNotifier()
        let environment = ProcessInfo.processInfo.environment
        let uid = getuid()
        let home = environment["HOME"] ?? "/"

        var limits = RPCLimits()
        limits.maxLineLength = self.maxLineLength
        limits.maxPendingBytes = self.maxPendingBytes
        limits.maxConcurrentRequestsPerClient = self.maxRequestsPerClient
        limits.maxClients = self.maxClients
        limits.maxClientsPerUID = self.maxClientsPerUid
        limits.maxQueuedNotifications = self.maxQueuedNotifications
        limits.maxQueuedNotificationBytes = self.maxQueuedBytes
        limits.idleTimeout = self.idleTimeout > 0 ? .seconds(self.idleTimeout) : nil

        let listen: RPCServer.Listen
        let socketPath: String?
        do {
            if let passed = ListenFDs.choose(try ListenFDs.take()) {
                listen = .descriptor(passed.fd)
                socketPath = self.socket ?? environment["SIOD_SOCKET"]
                logger.info("using the socket passed by systemd", metadata: ["fd": "\(passed.fd)", "name": "\(passed.name)"])
            } else {
                let (path, owner) = DaemonPaths.socketLocation(flag: self.socket, environment: environment, uid: uid)
                // A default directory must be ours: made here (0700) unless it exists, then
                // checked, so that one somebody else made first is refused, not used.
                if let owner {
                    let directory = DaemonPaths.directory(of: path)
                    if case .user = owner { _ = mkdir(directory, 0o700) }
                    if let problem = SocketDirectory.problem(directory, owner: owner) { throw ValidationError(problem) }
                }
                listen = .path(path, group: try self.groupID())
                socketPath = path
            }
        } catch {
            throw Self.fail("\(error)", notifier: notifier)
        }
        let config = DaemonPaths.config(flag: self.config, environment: environment, uid: uid, home: home)
        let configuration = DaemonConfiguration(
            listen: listen, socketPath: socketPath,
            stateDirectory: StateDirectory.resolve(flag: self.stateDir, environment: environment, home: home),
            configPath: config.path, configMustExist: config.explicit, limits: limits,
            maxJournalBytes: self.maxJournalBytes
        )
        let daemon: Daemon
        do {
            daemon = try Daemon(configuration: configuration, logger: logger)
        } catch {
            throw Self.fail("\(error)", notifier: notifier)
        }
        let watchdog: Watchdog?
        do { watchdog = try Watchdog.fromEnvironment() } catch {
            logger.warning("ignoring the watchdog settings", metadata: ["reason": "\(error)"])
            watchdog = nil
        }
        // A reload asked for before its handler is installed is lost, not fatal (SIGHUP's
        // default action would end siod).
        signal(SIGHUP, SIG_IGN)
        // SIGTERM and SIGINT are the group's from here on, before the socket is bound: a client
        // may be answered as soon as it is, and a SIGTERM it sends then must stop siod gracefully.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(
                        service: DaemonService(daemon: daemon, notifier: notifier, socketPath: socketPath, logger: logger),
                        successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                    .init(
                        service: Supervisor(daemon: daemon, notifier: notifier, watchdog: watchdog, logger: logger),
                        successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore
                    ),
                    .init(service: ReloadOnHangup(daemon: daemon), successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            throw Self.fail("\(error)", notifier: notifier)
        }
        logger.info("stopped")
    }

    /// The group of `--socket-group`.
    private func groupID() throws -> UInt32? {
        guard let name = self.socketGroup else { return nil }
        if let number = UInt32(name) { return number }
        guard let group = getgrnam(name) else { throw ValidationError("--socket-group: no group named \(name)") }
        return group.pointee.gr_gid
    }

    /// Reports a fatal start error (stderr, and `ERRNO=`/`STATUS=` to systemd) and exits 1.
    private static func fail(_ message: String, notifier: SystemdNotifier) -> ExitCode {
        FileHandle.standardError.write(Data("siod: \(message)\n".utf8))
        _ = try? notifier.status("failed: \(message)")
        _ = try? notifier.errno(EINVAL)
        return ExitCode(1)
    }
}
