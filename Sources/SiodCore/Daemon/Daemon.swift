import Dispatch
import Logging
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import RPC
import SioJSON
import SioProtocol
import Systemd

/// How a daemon is set up: where it listens, keeps state and reads its configuration.
public struct DaemonConfiguration: Sendable {
    /// Where the RPC server listens.
    public var listen: RPCServer.Listen
    /// The socket's path, as `daemon.info` reports it (for an adopted descriptor, if known).
    public var socketPath: String?
    /// The state directory (``StateDirectory``).
    public var stateDirectory: String
    /// The configuration file, and whether it must exist.
    public var configPath: String
    public var configMustExist: Bool
    /// The RPC limits.
    public var limits: RPCLimits
    /// Bytes the in-memory event journals of every socket may hold together
    /// (`--max-journal-bytes`).
    public var maxJournalBytes: Int

    public static let defaultMaxJournalBytes = 64 << 20

    public init(
        listen: RPCServer.Listen, socketPath: String?, stateDirectory: String, configPath: String, configMustExist: Bool,
        limits: RPCLimits = RPCLimits(), maxJournalBytes: Int = Self.defaultMaxJournalBytes
    ) {
        self.listen = listen
        self.socketPath = socketPath
        self.stateDirectory = stateDirectory
        self.configPath = configPath
        self.configMustExist = configMustExist
        self.limits = limits
        self.maxJournalBytes = maxJournalBytes
    }
}

/// Why siod cannot start; printed as is, before exiting non-zero.
public struct DaemonStartError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// siod: named Socket.IO sockets lent over JSON-RPC (docs/rpc.md).
///
/// ```swift
/// let daemon = try Daemon(configuration: configuration)
/// try await daemon.start()   // state and configuration read, socket bound, sockets opening
/// await daemon.run()         // until stop()
/// ```
public final class Daemon: Sendable {
    public let configuration: DaemonConfiguration
    let registry: Registry
    let subscriptions = Subscriptions()
    /// `siod.db`: outboxes, consumers, seq counters.
    let durable: DurableStore
    /// Named consumers and their positions.
    let consumers: Consumers
    let logger: Logger
    private let initialConfig: ConfigFile
    /// The Managers' ends, given once by ``stop()``; ``run()`` waits for them.
    private let managersEnding = AsyncStream<[EventLoopFuture<Void>]>.makeStream()
    private let serverBox = NIOLockedValueBox<(server: RPCServer?, stopped: Bool)>((nil, false))
    /// RPC connections whose close already closes their `lifetime: "connection"` sockets.
    private let watchedConnections = NIOLockedValueBox<Set<Int>>([])
    private let reloads = NIOLock()

    /// Reads the state and the configuration; throws if either is unreadable or invalid.
    public init(configuration: DaemonConfiguration, logger: Logger = Logger(label: "siod")) throws(DaemonStartError) {
        self.configuration = configuration
        self.logger = logger
        let store = StateStore(directory: configuration.stateDirectory)
        let saved: DaemonState
        do {
            if let mode = try store.secureDirectory() {
                logger.notice(
                    "state directory was open to others; now 0700",
                    metadata: ["directory": "\(configuration.stateDirectory)", "mode": "\(String(mode, radix: 8))"]
                )
            }
            saved = try store.load()
            try store.makeDirectory()
        } catch {
            throw DaemonStartError(description: "cannot read the state in \(configuration.stateDirectory): \(error)")
        }
        do {
            self.durable = try DurableStore(directory: configuration.stateDirectory)
        } catch {
            throw DaemonStartError(description: "cannot open the database in \(configuration.stateDirectory): \(error)")
        }
        self.consumers = Consumers(store: self.durable, logger: logger)
        do {
            self.initialConfig = try ConfigFile.load(path: configuration.configPath, mustExist: configuration.configMustExist)
        } catch {
            throw DaemonStartError(description: "invalid configuration: \(error)")
        }
        self.registry = Registry(
            store: store, saved: saved, subscriptions: self.subscriptions,
            journals: Journals(store: self.durable, maxBytes: configuration.maxJournalBytes, logger: logger),
            durable: self.durable, logger: logger
        )
    }

    /// Binds the RPC socket (throws if another siod is live there) and opens the configured
    /// and persistent sockets. Connections are accepted from here on and served by ``run()``.
    public func start() async throws {
        let server = RPCServer(
            listen: self.configuration.listen, limits: self.configuration.limits,
            methods: Audit.wrap(self.methods(), logger: self.logger), logger: self.logger
        )
        try await server.start()
        // A stop() that came while the socket was being bound stops the server now.
        let stopped = self.serverBox.withLockedValue { box -> Bool in
            box.server = server
            return box.stopped
        }
        guard !stopped else {
            server.stop()
            return
        }
        do {
            _ = try self.registry.apply(self.initialConfig)
        } catch {
            self.logger.error("cannot open the configured sockets", metadata: ["reason": "\(error.message)"])
        }
        self.registry.restorePersistent()
    }

    /// Serves until ``stop()`` and returns once it is done: every client gone, every Manager
    /// ended.
    public func run() async {
        guard let server = self.serverBox.withLockedValue({ $0.server }) else { return }
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await server.run()
                    self.logStopPhase("clients closed")
                }
                group.addTask {
                    for await managers in self.managersEnding.stream {
                        for manager in managers { try? await manager.get() }
                    }
                    self.logStopPhase("sockets closed")
                }
            }
        } onCancel: {
            self.stop()
        }
        // No event comes any more: the counters are saved exactly, and the database closed.
        self.registry.journals.saveExactCounters()
        self.durable.close()
        self.logStopPhase("database closed")
    }

    /// Graceful stop: no new clients or requests, in-flight requests answered, state saved,
    /// every socket disconnected; ``run()`` returns once all is done.
    public func stop() {
        let (server, first) = self.serverBox.withLockedValue { box -> (RPCServer?, Bool) in
            defer { box.stopped = true }
            return (box.server, !box.stopped)
        }
        guard first else { return }
        self.logger.info("stopping")
        self.stopStarted.withLockedValue { $0 = .now }
        server?.stop()
        // run() returns once every Manager has released its transports.
        let managers = self.registry.shutdown()
        self.logStopPhase("sockets closing", ["managers": "\(managers.count)"])
        self.managersEnding.continuation.yield(managers)
        self.managersEnding.continuation.finish()
    }

    /// When ``stop()`` was first called.
    private let stopStarted = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    /// A step of the stop, with the time since it began (a slow stop shows which step waits).
    private func logStopPhase(_ phase: String, _ metadata: Logger.Metadata = [:]) {
        guard let started = self.stopStarted.withLockedValue({ $0 }) else { return }
        let elapsed = TimeAmount(ContinuousClock.now - started)
        var metadata = metadata
        metadata["elapsed_ms"] = "\(elapsed.nanoseconds / 1_000_000)"
        self.logger.debug("stop: \(phase)", metadata: metadata)
    }

    /// Re-reads the configuration file and applies the differences (SIGHUP, `daemon.reload`).
    /// A file that does not parse changes nothing.
    @discardableResult
    public func reload() throws(RPCError) -> JSON {
        self.reloads.lock()
        defer { self.reloads.unlock() }
        // systemd hears RELOADING=1 … READY=1 around it (a no-op outside systemd).
        let notifier = SystemdNotifier()
        _ = try? notifier.reloading()
        defer { _ = try? notifier.ready() }
        let config: ConfigFile
        do {
            config = try ConfigFile.load(path: self.configuration.configPath, mustExist: self.configuration.configMustExist)
        } catch {
            self.logger.error("reload refused", metadata: ["reason": "\(error)"])
            throw .invalidConfig(error)
        }
        let outcome = try self.registry.apply(config)
        self.logger.info(
            "reloaded",
            metadata: [
                "opened": "\(outcome.opened.count)", "reopened": "\(outcome.reopened.count)",
                "closed": "\(outcome.closed.count)", "unchanged": "\(outcome.unchanged.count)",
            ]
        )
        func list(_ names: [String]) -> JSON { .array(names.map { .string($0) }) }
        return [
            "opened": list(outcome.opened), "reopened": list(outcome.reopened), "closed": list(outcome.closed),
            "unchanged": list(outcome.unchanged),
        ]
    }

    /// The one-line status for `STATUS=`: `2/3 sockets connected; last error: chat: transport close`.
    public var statusLine: String {
        let counts = self.registry.counts(for: .daemon)
        var line = "\(counts.connected)/\(counts.sockets) sockets connected"
        if let error = self.registry.lastError.withLockedValue({ $0 }) { line += "; last error: " + error }
        return line
    }

    /// Calls `body` whenever ``statusLine`` may have changed (from any thread; keep it short).
    public func observeChanges(_ body: @escaping @Sendable () -> Void) {
        self.registry.onChange.withLockedValue { $0 = ChangeObserver(body: body) }
    }

    /// A health round trip for the watchdog: a task through every event loop and the socket
    /// registry's lock, within `timeout`. Returns nil when healthy, else what is stuck.
    public func healthCheck(timeout: Duration) async -> String? {
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        for (index, loop) in loops.enumerated() {
            let answered: Bool = await withCheckedContinuation { continuation in
                let once = NIOLockedValueBox(false)
                let resume: @Sendable (Bool) -> Void = { value in
                    if !once.withLockedValue({ done in defer { done = true }; return done }) { continuation.resume(returning: value) }
                }
                loop.execute { resume(true) }
                // Not on `loop`: a stuck loop would never fire its own timer.
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(TimeAmount(timeout).nanoseconds))) {
                    resume(false)
                }
            }
            if !answered { return "event loop \(index) did not answer within \(timeout)" }
        }
        _ = self.registry.counts(for: .daemon)
        return nil
    }

    var clientCount: Int { self.serverBox.withLockedValue { $0.server }?.connections.count ?? 0 }

    /// Closes the `lifetime: "connection"` sockets of `connection` when it closes.
    func watch(_ connection: RPCConnection) {
        let isNew = self.watchedConnections.withLockedValue { $0.insert(connection.id).inserted }
        guard isNew else { return }
        // Its sockets live as long as it: closing it for being idle would close them.
        connection.exemptFromIdleTimeout()
        connection.onClose { [registry, watchedConnections] in
            registry.closeOwned(by: connection.id)
            watchedConnections.withLockedValue { _ = $0.remove(connection.id) }
        }
    }
}
