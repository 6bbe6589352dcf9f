import Foundation
import AsyncHTTPClient
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SioJSON
import SioProtocol
import WSClient
import WSCompression
import WSCore

/// The event pump of one ``Manager``: the only code that touches its ``ManagerStateMachine``.
/// It consumes the Manager's inputs one at a time, feeds them to the machine with the current
/// time, and carries out the returned actions: transports and timers start here as child tasks
/// or scheduled tasks that post their results back as inputs.
final class ManagerDriver {
    let manager: Manager
    var machine: ManagerStateMachine
    private let eventLoop: any EventLoop
    private var timers: [ManagerTimer: Scheduled<Void>] = [:]
    var webSockets: [ConnectionID: AsyncStream<SioProtocol.WebSocketMessage>.Continuation] = [:]
    private var waitingAcks: [EmitToken: (EmitStatus, CheckedContinuation<EmitReply, Never>)] = [:]
    private var nextToken: UInt64 = 0
    /// The sockets in the order the pump learned of them: a namespace closed and reopened gets
    /// its events on the new socket only from the moment the new one was added.
    private var sockets: [String: Socket] = [:]
    var cookies = CookieJar()
    var httpClient: HTTPClient?
    var random = SystemRandomNumberGenerator()
    /// WebSockets whose task has not ended yet (closing ones included).
    var liveWebSockets: Set<ConnectionID> = []
    /// Polling requests whose task has not ended yet.
    var requestsInFlight = 0
    /// Ends the requests of a polling transport the engine has closed (they would otherwise
    /// hold a pooled connection until their deadline).
    var pollingClosers: [ConnectionID: TransportCloser] = [:]
    private var shuttingDown = false
    private var finished = false
    private var shutdownDeadline: Scheduled<Void>?

    init(manager: Manager) {
        self.manager = manager
        self.machine = ManagerStateMachine(
            configuration: manager.options.managerConfiguration, random: SystemRandomNumberGenerator()
        )
        self.eventLoop = manager.eventLoopGroup.any()
    }

    /// The HTTP CONNECT proxy for this Manager's server, from the options or the environment.
    var proxy: ManagerOptions.Proxy? {
        self.manager.options.effectiveProxy(
            host: self.manager.engineURL.host, secure: self.manager.engineURL.secure,
            environment: ProcessInfo.processInfo.environment
        )
    }

    /// Monotonic milliseconds.
    var now: Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }

    func run() async throws {
        // A WebSocket-only Manager needs no HTTP client (and its connection pool).
        let client = self.manager.options.transports.contains(.polling) ? self.makeHTTPClient() : nil
        self.httpClient = client
        defer { self.httpClient = nil }
        let inputs = self.manager.input
        await withDiscardingTaskGroup { group in
            // Ends on shutdown once the transports are closed (or a second has passed), or when
            // the task running `run()` is cancelled (`next()` then returns nil).
            pump: while let input = await inputs.next() {
                switch input {
                case .shutdown(let keeping):
                    if !self.shuttingDown { self.beginShutdown(keepingSessions: keeping, group: &group) }
                case .shutdownDeadline:
                    break pump
                case .emit where self.shuttingDown, .sendAck where self.shuttingDown:
                    Self.refuse(input)
                default:
                    self.handle(input, group: &group)
                }
                if self.shuttingDown && self.liveWebSockets.isEmpty && self.requestsInFlight == 0 { break }
            }
            self.finishShutdown()
            group.cancelAll()
        }
        // Nothing is accepted any more; calls that were already queued get an answer.
        self.manager.input.finish()
        while let input = await inputs.next() {
            Self.refuse(input)
        }
        try? await client?.shutdown()
    }

    /// Answers a call that arrived after shutdown.
    static func refuse(_ input: ManagerInput) {
        switch input {
        case .emit(_, let reply):
            reply.resume(returning: .refused(.notRunning))
        case .sendAck(_, _, _, let reply):
            reply.resume(returning: .failure(.notRunning))
        case .addSocket, .removeSocket, .setAuth, .provideAuth, .connect, .disconnect, .open, .close, .dropConnection, .shutdown, .shutdownDeadline,
             .pollCompleted, .pollFailed, .postCompleted, .postFailed, .webSocketOpened, .webSocketReceived,
             .webSocketClosed, .webSocketFailed, .timerFired:
            break
        }
    }

    private func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = self.manager.options.tls
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.httpVersion = .http1Only
        // A refused connection or failed TLS handshake is the attempt's `xhr poll error` at once,
        // as in the reference; the Manager's backoff does the retrying (AsyncHTTPClient would
        // otherwise retry quietly until the request's deadline and the attempt end in `timeout`).
        configuration.connectionPool.retryConnectionEstablishment = false
        if let proxy = self.proxy {
            configuration.proxy = .server(host: proxy.host, port: proxy.port)
        }
        return HTTPClient(eventLoopGroupProvider: .shared(self.manager.eventLoopGroup), configuration: configuration)
    }

    // MARK: - Inputs

    private func handle(_ input: ManagerInput, group: inout DiscardingTaskGroup) {
        let now = self.now
        var actions: [ManagerAction]
        switch input {
        case .addSocket(let socket, let options, let recovery):
            let namespace = socket.namespace
            do {
                try self.machine.addSocket(namespace, options: options, recovery: recovery.map { ($0.pid, $0.offset) })
                self.sockets[namespace] = socket
            } catch {
                // Its stream must still end, or its reader would wait forever.
                socket.finish()
                self.manager.logger.warning("socket refused", metadata: ["namespace": "\(namespace)", "reason": "\(error)"])
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
            do { actions = try self.machine.connect(namespace, now: now) } catch {
                actions = []
                self.refused("connect", namespace, error)
            }
        case .disconnect(let namespace):
            do { actions = try self.machine.disconnect(namespace, now: now) } catch {
                actions = []
                self.refused("disconnect", namespace, error)
            }
        case .removeSocket(let namespace):
            actions = self.machine.removeSocket(namespace, now: now)
            // Its last events (the `io client disconnect`) go out first, then its stream ends.
            self.publishState()
            self.execute(actions, group: &group)
            self.sockets.removeValue(forKey: namespace)?.finish()
            return
        case .emit(let request, let reply):
            actions = self.emit(request, reply: reply, now: now)
        case .sendAck(let namespace, let ackId, let arguments, let reply):
            do {
                actions = try self.machine.sendAck(namespace, ackId: ackId, arguments, now: now)
                reply.resume(returning: .success(()))
            } catch {
                actions = []
                reply.resume(returning: .failure(.emit(error)))
            }
        case .open:
            actions = self.machine.open(now: now)
        case .close:
            actions = self.machine.close(now: now)
        case .dropConnection:
            actions = self.machine.dropConnection(now: now)
        case .shutdown, .shutdownDeadline:
            actions = []
        case .pollCompleted(let id, let body, let setCookies):
            self.requestsInFlight -= 1
            self.cookies.store(setCookies, now: now)
            if self.manager.reportsEnginePackets {
                for packet in PollingPayload.decode(body).packets { self.manager.eventSink.yield(.enginePacket(.received, packet)) }
            }
            actions = self.machine.pollCompleted(id, body: body, now: now)
        case .pollFailed(let id, let error):
            self.requestsInFlight -= 1
            actions = self.machine.pollFailed(id, error, now: now)
        case .postCompleted(let id, let setCookies):
            self.requestsInFlight -= 1
            self.cookies.store(setCookies, now: now)
            actions = self.machine.postCompleted(id, now: now)
        case .postFailed(let id, let error):
            self.requestsInFlight -= 1
            actions = self.machine.postFailed(id, error, now: now)
        case .webSocketOpened(let id):
            actions = self.machine.webSocketOpened(id, now: now)
        case .webSocketReceived(let id, let message):
            if self.manager.reportsEnginePackets, let packet = try? EnginePacket(decodingWebSocket: message) {
                self.manager.eventSink.yield(.enginePacket(.received, packet))
            }
            actions = self.machine.webSocketReceived(id, message, now: now)
        case .webSocketClosed(let id, let description):
            self.liveWebSockets.remove(id)
            self.webSockets.removeValue(forKey: id)?.finish()
            actions = self.machine.webSocketClosed(id, description: description, now: now)
        case .webSocketFailed(let id, let error):
            self.liveWebSockets.remove(id)
            self.webSockets.removeValue(forKey: id)?.finish()
            actions = self.machine.webSocketFailed(id, error, now: now)
        case .timerFired(let timer):
            self.timers[timer] = nil
            actions = self.machine.timerFired(timer, now: now)
        }
        // State first, so a consumer woken by `connect` reads `connected == true`.
        self.publishState()
        self.execute(actions, group: &group)
    }

    /// A call the machine refused (unknown namespace): nothing to answer, so it is logged.
    private func refused(_ call: String, _ namespace: String, _ error: any Error) {
        self.manager.logger.warning("\(call) refused", metadata: ["namespace": "\(namespace)", "reason": "\(error)"])
    }

    private func emit(_ request: EmitRequest, reply: CheckedContinuation<EmitReply, Never>, now: Int64) -> [ManagerAction] {
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
                reply.resume(returning: .done(status, request.wantsAck ? .failure(.emit(.notConnected)) : nil))
            }
            return actions
        } catch {
            reply.resume(returning: .refused(.emit(error)))
            return []
        }
    }

    /// Shutdown, first step: every socket leaves (DISCONNECT for the connected ones), the engine
    /// closes as it would on `manager.close()`, and the pump keeps running until the transports
    /// have delivered that, for at most a second.
    private func beginShutdown(keepingSessions: Set<String>, group: inout DiscardingTaskGroup) {
        self.shuttingDown = true
        let now = self.now
        var actions: [ManagerAction] = []
        for namespace in self.machine.namespaces where !keepingSessions.contains(namespace) {
            actions += self.machine.removeSocket(namespace, now: now)
        }
        actions += self.machine.close(now: now)
        self.publishState()
        self.execute(actions, group: &group)
        let input = self.manager.input
        self.shutdownDeadline = self.eventLoop.scheduleTask(in: .seconds(1)) {
            input.yield(.shutdownDeadline)
        }
    }

    /// Shutdown, last step (also when `run()` is cancelled): timers cancelled, transports
    /// closed, waiting emits answered, event streams finished, snapshots cleared.
    private func finishShutdown() {
        guard !self.finished else { return }
        self.finished = true
        self.shutdownDeadline?.cancel()
        for (_, scheduled) in self.timers { scheduled.cancel() }
        self.timers.removeAll()
        for (_, socket) in self.webSockets { socket.finish() }
        self.webSockets.removeAll()
        for (_, closer) in self.pollingClosers { closer.close() }
        self.pollingClosers.removeAll()
        for (_, (_, reply)) in self.waitingAcks { reply.resume(returning: .done(.sent, .failure(.ack(.closed)))) }
        self.waitingAcks.removeAll()
        let sockets = self.manager.state.withLockedValue { state -> [Socket] in
            state.transport = nil
            state.engineId = nil
            return Array(state.sockets.values)
        }
        for socket in sockets { socket.finish() }
        for (_, socket) in self.sockets { socket.finish() }
        self.sockets.removeAll()
        self.manager.eventSink.finish()
    }

    // MARK: - Actions

    private func execute(_ actions: [ManagerAction], group: inout DiscardingTaskGroup) {
        for action in actions {
            switch action {
            case .get(let id, let sid):
                self.startGet(id, sid: sid, group: &group)
            case .post(let id, let sid, let body):
                if self.manager.reportsEnginePackets {
                    for packet in PollingPayload.decode(body).packets { self.manager.eventSink.yield(.enginePacket(.sent, packet)) }
                }
                self.startPost(id, sid: sid, body: body, group: &group)
            case .openWebSocket(let id, let sid):
                self.openWebSocket(id, sid: sid, group: &group)
            case .sendWebSocket(let id, let messages, _):
                guard let socket = self.webSockets[id] else { continue }
                let reports = self.manager.reportsEnginePackets
                for message in messages {
                    if reports, let packet = try? EnginePacket(decodingWebSocket: message) {
                        self.manager.eventSink.yield(.enginePacket(.sent, packet))
                    }
                    socket.yield(message)
                }
            case .closeTransport(let id):
                self.webSockets.removeValue(forKey: id)?.finish()
                self.pollingClosers.removeValue(forKey: id)?.close()
            case .scheduleTimer(let timer, let delay):
                self.timers[timer]?.cancel()
                let input = self.manager.input
                self.timers[timer] = self.eventLoop.scheduleTask(in: .milliseconds(delay)) {
                    input.yield(.timerFired(timer))
                }
            case .cancelTimer(let timer):
                self.timers.removeValue(forKey: timer)?.cancel()
            case .manager(let event):
                self.manager.eventSink.yield(event)
            case .socket(let namespace, let event):
                self.dispatch(event, namespace: namespace)
            }
        }
    }

    private func dispatch(_ event: SocketEvent, namespace: String) {
        if case .ackResult(let token, let result) = event {
            guard let (status, reply) = self.waitingAcks.removeValue(forKey: token) else { return }
            reply.resume(returning: .done(status, result.mapError { .ack($0) }))
            return
        }
        self.sockets[namespace]?.deliver(event)
    }

    /// Copies what the user may read synchronously into the shared snapshots.
    private func publishState() {
        let transport = self.machine.state == .open ? self.machine.transport : nil
        let engineId = self.machine.state == .open ? self.machine.engineId : nil
        self.manager.state.withLockedValue { state in
            state.transport = transport
            state.engineId = engineId
        }
        for (namespace, socket) in self.sockets {
            guard let machine = self.machine.socket(namespace) else { continue }
            socket.update(
                id: machine.id, connected: machine.isConnected, active: machine.isActive, recovered: machine.recovered,
                recovery: machine.pid.map { Recovery(pid: $0, offset: machine.offset) }
            )
        }
    }
}
