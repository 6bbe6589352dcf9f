import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SioJSON
import SioProtocol

/// The driver of one ``Manager``: the only code that touches its ``ManagerStateMachine``.
///
/// It is confined to the Manager's event loop, as a SwiftNIO channel handler is: every input
/// (a user call, a transport's result, a timer) is handled there, one at a time, by feeding it
/// to the machine with the current time and carrying out the returned actions synchronously.
/// Transports are channels on the same loop and timers are tasks scheduled on it, so an event
/// goes from the socket to the application, and an emit from the caller to the socket,
/// without a task or a queue in between.
final class ManagerDriver: @unchecked Sendable {
    // Set at init, read from any thread.
    let eventLoop: any EventLoop
    let eventLoopGroup: any EventLoopGroup
    let options: ManagerOptions
    let engineURL: EngineURL
    let logger: Logger
    let finished: EventLoopPromise<Void>
    let reportsEnginePackets = NIOLockedValueBox(false)
    private let state: NIOLockedValueBox<Manager.SharedState>
    private let events: EventSink<ManagerEvent>

    // Everything below is touched only on `eventLoop`.
    private(set) var machine: ManagerStateMachine
    private var lifecycle = Lifecycle.running
    /// An input is being handled: inputs submitted meanwhile (by an event handler, by a
    /// channel event that a write set off) wait for the next turn of the loop.
    private var busy = false
    /// Inputs submitted from the Manager's own loop that have not been handled yet.
    private var queuedOnLoop = 0
    private var timers: [ManagerTimer: Scheduled<Void>] = [:]
    /// Open and closing WebSockets, until their channel is closed.
    var webSockets: [ConnectionID: WebSocketTransport] = [:]
    /// The requests of each polling transport, to cancel when the engine closes it.
    var polling: [ConnectionID: PollingRequests] = [:]
    /// Polling requests not yet completed (cancelled ones included).
    var requestsInFlight = 0
    private var waitingAcks: [EmitToken: (EmitStatus, EmitCompletion)] = [:]
    private var nextToken: UInt64 = 0
    /// The sockets by namespace: a namespace closed and reopened gets its events on the new
    /// socket only from the moment the new one was added. Each with what its snapshot says
    /// now, to update it only when it changes.
    private var sockets: [String: (socket: Socket, published: NamespaceStateMachine.Observed?)] = [:]
    private var publishedEngine: (transport: TransportKind?, sid: String?) = (nil, nil)
    var cookies = CookieJar()
    var random = SystemRandomNumberGenerator()
    /// The HTTP client of the polling transport (shared with other Managers), made on first use.
    var httpClient: PollingClient?

    private enum Lifecycle {
        case running
        case shuttingDown(deadline: Scheduled<Void>)
        case finished
    }

    init(
        eventLoop: any EventLoop, eventLoopGroup: any EventLoopGroup, options: ManagerOptions, engineURL: EngineURL,
        logger: Logger, state: NIOLockedValueBox<Manager.SharedState>, events: EventSink<ManagerEvent>
    ) {
        self.eventLoop = eventLoop
        self.eventLoopGroup = eventLoopGroup
        self.options = options
        self.engineURL = engineURL
        self.logger = logger
        self.state = state
        self.events = events
        self.finished = eventLoop.makePromise(of: Void.self)
        self.machine = ManagerStateMachine(configuration: options.managerConfiguration, random: SystemRandomNumberGenerator())
    }

    /// The HTTP CONNECT proxy for this Manager's server, from the options or the environment.
    var proxy: ManagerOptions.Proxy? {
        self.options.effectiveProxy(
            host: self.engineURL.host, secure: self.engineURL.secure, environment: ProcessInfo.processInfo.environment
        )
    }

    /// Monotonic milliseconds.
    var now: Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }

    /// `drain`, when engine events are reported (nobody asked: nothing is done for it).
    func reportDrain() {
        guard self.reportsEnginePackets.withLockedValue({ $0 }) else { return }
        self.events.yield(.drain)
    }

    // MARK: - Submitting inputs

    /// Hands `input` to the driver from any thread; it is handled on the Manager's event loop,
    /// after what was submitted before it from the same thread. Never at once, even on that
    /// loop: the caller may hold a lock that the events of this input lead back to (the
    /// daemon's registry closes a socket under its lock, and the socket's `disconnect` event
    /// comes back to the registry). On the Manager's own loop this costs a task, not a wake-up.
    func submit(_ input: ManagerInput) {
        guard self.eventLoop.inEventLoop else {
            self.eventLoop.execute { self.handle(input) }
            return
        }
        self.queuedOnLoop += 1
        self.eventLoop.assumeIsolatedUnsafeUnchecked().execute {
            self.queuedOnLoop -= 1
            self.handle(input)
        }
    }

    /// Hands an emit or an ack to the driver: at once when the caller is on the Manager's loop
    /// and nothing submitted from that loop is still waiting (so the order of the loop's own
    /// inputs holds), else as ``submit(_:)`` does. For callers that hold no lock the input's
    /// completion could need: an emit sets off no socket event, only its own completion.
    func submitEmit(_ input: ManagerInput) {
        if self.eventLoop.inEventLoop && self.queuedOnLoop == 0 && !self.busy {
            self.handle(input)
        } else {
            self.submit(input)
        }
    }

    /// Handles one input on the event loop (the transports call this directly).
    func handle(_ input: ManagerInput) {
        self.eventLoop.preconditionInEventLoop()
        guard !self.busy else {
            self.submit(input)
            return
        }
        self.busy = true
        defer { self.busy = false }
        switch self.lifecycle {
        case .finished:
            Self.refuse(input)
            return
        case .shuttingDown:
            switch input {
            case .emit, .sendAck:
                Self.refuse(input)
                return
            case .shutdown:
                return
            case .shutdownDeadline:
                self.finishShutdown()
                return
            default:
                self.dispatch(input)
            }
            if self.webSockets.isEmpty && self.requestsInFlight == 0 { self.finishShutdown() }
        case .running:
            self.dispatch(input)
        }
    }

    /// Answers a call that arrived after shutdown.
    static func refuse(_ input: ManagerInput) {
        switch input {
        case .emit(_, let reply):
            reply(.refused(.notRunning))
        case .sendAck(_, _, _, let reply):
            reply(.failure(.notRunning))
        case .addSocket(let socket, _, _):
            // Its stream must still end, or its reader would wait forever.
            socket.finish()
        case .removeSocket, .setAuth, .provideAuth, .connect, .disconnect, .open, .close, .dropConnection, .reportOutgoing, .shutdown, .shutdownDeadline,
             .pollCompleted, .pollFailed, .postCompleted, .postFailed, .webSocketOpened, .webSocketReceived,
             .webSocketClosed, .webSocketFailed, .timerFired:
            break
        }
    }

    // MARK: - Inputs

    private func dispatch(_ input: ManagerInput) {
        let now = self.now
        var actions: [ManagerAction]
        switch input {
        case .addSocket(let socket, let options, let recovery):
            let namespace = socket.namespace
            do {
                try self.machine.addSocket(namespace, options: options, recovery: recovery.map { ($0.pid, $0.offset) })
                self.sockets[namespace] = (socket, nil)
            } catch {
                socket.finish()
                self.logger.warning("socket refused", metadata: ["namespace": "\(namespace)", "reason": "\(error)"])
            }
            actions = []
        case .setAuth(let namespace, let auth):
            actions = []
            do { try self.machine.setAuth(namespace, auth) } catch { self.refused("setAuth", namespace, error) }
        case .provideAuth(let namespace, let auth):
            do { actions = try self.machine.provideAuth(namespace, auth, now: now) } catch {
                actions = []
                self.refused("provideAuth", namespace, error)
            }
        case .connect(let namespace):
            self.sockets[namespace]?.socket.activationHandled()
            self.sockets[namespace]?.published = nil
            do { actions = try self.machine.connect(namespace, now: now) } catch {
                actions = []
                self.refused("connect", namespace, error)
            }
        case .disconnect(let namespace):
            self.sockets[namespace]?.socket.activationHandled()
            self.sockets[namespace]?.published = nil
            do { actions = try self.machine.disconnect(namespace, now: now) } catch {
                actions = []
                self.refused("disconnect", namespace, error)
            }
        case .removeSocket(let namespace):
            actions = self.machine.removeSocket(namespace, now: now)
            // Its last events (the `io client disconnect`) go out first, then its stream ends.
            self.publishState()
            self.execute(actions)
            self.sockets.removeValue(forKey: namespace)?.socket.finish()
            return
        case .emit(let request, let reply):
            actions = self.emit(request, reply: reply, now: now)
        case .sendAck(let namespace, let ackId, let arguments, let reply):
            do {
                actions = try self.machine.sendAck(namespace, ackId: ackId, arguments, now: now)
                reply(.success(()))
            } catch {
                actions = []
                reply(.failure(.emit(error)))
            }
        case .open:
            actions = self.machine.open(now: now)
        case .close:
            actions = self.machine.close(now: now)
        case .dropConnection:
            actions = self.machine.dropConnection(now: now)
        case .reportOutgoing(let on):
            self.machine.setReportsOutgoing(on)
            return
        case .shutdown(let keeping):
            self.beginShutdown(keepingSessions: keeping)
            return
        case .shutdownDeadline:
            return
        case .pollCompleted(let id, let body, let setCookies):
            self.cookies.store(setCookies, now: now)
            if self.reportsEnginePackets.withLockedValue({ $0 }) {
                for packet in PollingPayload.decode(body).packets { self.events.yield(.enginePacket(.received, packet)) }
            }
            actions = self.machine.pollCompleted(id, body: body, now: now)
        case .pollFailed(let id, let error):
            actions = self.machine.pollFailed(id, error, now: now)
        case .postCompleted(let id, let setCookies):
            self.cookies.store(setCookies, now: now)
            actions = self.machine.postCompleted(id, now: now)
        case .postFailed(let id, let error):
            actions = self.machine.postFailed(id, error, now: now)
        case .webSocketOpened(let id):
            actions = self.machine.webSocketOpened(id, now: now)
        case .webSocketReceived(let id, let message):
            if self.reportsEnginePackets.withLockedValue({ $0 }), let packet = try? EnginePacket(decodingWebSocket: message) {
                self.events.yield(.enginePacket(.received, packet))
            }
            actions = self.machine.webSocketReceived(id, message, now: now)
        case .webSocketClosed(let id, let description):
            self.webSockets[id] = nil
            actions = self.machine.webSocketClosed(id, description: description, now: now)
        case .webSocketFailed(let id, let error):
            self.webSockets.removeValue(forKey: id)?.abort()
            actions = self.machine.webSocketFailed(id, error, now: now)
        case .timerFired(let timer):
            self.timers[timer] = nil
            actions = self.machine.timerFired(timer, now: now)
        }
        // State first, so a consumer woken by `connect` reads `connected == true`.
        self.publishState()
        self.execute(actions)
    }

    /// A call the machine refused (unknown namespace): nothing to answer, so it is logged.
    private func refused(_ call: String, _ namespace: String, _ error: any Error) {
        self.logger.warning("\(call) refused", metadata: ["namespace": "\(namespace)", "reason": "\(error)"])
    }

    private func emit(_ request: EmitRequest, reply: @escaping EmitCompletion, now: Int64) -> [ManagerAction] {
        var options = request.options
        var token: EmitToken?
        if request.wantsAck {
            self.nextToken += 1
            token = EmitToken(self.nextToken)
            options.ack = token
        }
        do {
            let (status, actions) = try self.machine.emit(request.namespace, request.name, request.arguments, options: options, now: now)
            if let token, status != .dropped {
                self.waitingAcks[token] = (status, reply)
            } else {
                reply(.done(status, request.wantsAck ? .failure(.emit(.notConnected)) : nil))
            }
            return actions
        } catch {
            reply(.refused(.emit(error)))
            return []
        }
    }

    // MARK: - Shutdown

    /// Shutdown, first step: every socket leaves (DISCONNECT for the connected ones), the engine
    /// closes as it would on `manager.close()`, and the driver goes on until the transports
    /// have delivered that, for at most a second.
    private func beginShutdown(keepingSessions: Set<String>) {
        guard case .running = self.lifecycle else { return }
        let deadline = self.eventLoop.scheduleTask(in: .seconds(1)) { self.handle(.shutdownDeadline) }
        self.lifecycle = .shuttingDown(deadline: deadline)
        let now = self.now
        var actions: [ManagerAction] = []
        for namespace in self.machine.namespaces where !keepingSessions.contains(namespace) {
            actions += self.machine.removeSocket(namespace, now: now)
        }
        actions += self.machine.close(now: now)
        self.publishState()
        self.execute(actions)
        if self.webSockets.isEmpty && self.requestsInFlight == 0 { self.finishShutdown() }
    }

    /// Shutdown, last step: timers cancelled, transports closed, waiting emits answered, event
    /// streams finished, snapshots cleared.
    private func finishShutdown() {
        if case .shuttingDown(let deadline) = self.lifecycle { deadline.cancel() }
        if case .finished = self.lifecycle { return }
        self.lifecycle = .finished
        for (_, scheduled) in self.timers { scheduled.cancel() }
        self.timers.removeAll()
        for (_, transport) in self.webSockets { transport.abort() }
        self.webSockets.removeAll()
        for (_, requests) in self.polling { requests.cancel() }
        self.polling.removeAll()
        for (_, (_, reply)) in self.waitingAcks { reply(.done(.sent, .failure(.ack(.closed)))) }
        self.waitingAcks.removeAll()
        let sockets = self.state.withLockedValue { state -> [Socket] in
            state.transport = nil
            state.engineId = nil
            return Array(state.sockets.values)
        }
        for socket in sockets { socket.finish() }
        for (_, entry) in self.sockets { entry.socket.finish() }
        self.sockets.removeAll()
        self.events.finish()
        self.httpClient?.release()
        self.httpClient = nil
        self.finished.succeed(())
    }

    // MARK: - Actions

    private func execute(_ actions: [ManagerAction]) {
        for action in actions {
            switch action {
            case .get(let id, let sid):
                self.startGet(id, sid: sid)
            case .post(let id, let sid, let body):
                if self.reportsEnginePackets.withLockedValue({ $0 }) {
                    for packet in PollingPayload.decode(body).packets { self.events.yield(.enginePacket(.sent, packet)) }
                }
                self.startPost(id, sid: sid, body: body)
            case .openWebSocket(let id, let sid):
                self.openWebSocket(id, sid: sid)
            case .sendWebSocket(let id, let messages, let compress):
                guard let transport = self.webSockets[id] else { continue }
                if self.reportsEnginePackets.withLockedValue({ $0 }) {
                    for message in messages {
                        if let packet = try? EnginePacket(decodingWebSocket: message) { self.events.yield(.enginePacket(.sent, packet)) }
                    }
                }
                transport.send(messages, compress: compress)
            case .closeTransport(let id):
                self.webSockets[id]?.close()
                self.polling.removeValue(forKey: id)?.cancel()
            case .scheduleTimer(let timer, let delay):
                self.timers[timer]?.cancel()
                self.timers[timer] = self.eventLoop.scheduleTask(in: .milliseconds(delay)) {
                    self.handle(.timerFired(timer))
                }
            case .cancelTimer(let timer):
                self.timers.removeValue(forKey: timer)?.cancel()
            case .manager(.drain):
                self.reportDrain()
            case .manager(let event):
                self.events.yield(event)
            case .socket(let namespace, let event):
                self.deliver(event, namespace: namespace)
            }
        }
    }

    private func deliver(_ event: SocketEvent, namespace: String) {
        if case .ackResult(let token, let result) = event {
            guard let (status, reply) = self.waitingAcks.removeValue(forKey: token) else { return }
            reply(.done(status, result.mapError { .ack($0) }))
            return
        }
        self.sockets[namespace]?.socket.deliver(event)
    }

    /// Copies what the user may read synchronously into the shared snapshots, where it changed.
    private func publishState() {
        let engine = self.machine.openEngine
        if engine != self.publishedEngine {
            self.publishedEngine = engine
            self.state.withLockedValue { state in
                state.transport = engine.transport
                state.engineId = engine.sid
            }
        }
        var changed: [(String, NamespaceStateMachine.Observed)] = []
        for (namespace, entry) in self.sockets {
            guard let observed = self.machine.observed(namespace), entry.published != observed else { continue }
            changed.append((namespace, observed))
            entry.socket.update(
                id: observed.id, connected: observed.connected, active: observed.active, recovered: observed.recovered,
                recovery: observed.pid.map { Recovery(pid: $0, offset: observed.offset) }
            )
        }
        // Not while iterating: the loop reads a copy, and writing would copy the dictionary.
        for (namespace, observed) in changed { self.sockets[namespace]?.published = observed }
    }
}
