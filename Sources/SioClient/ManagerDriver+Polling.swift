import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SioProtocol

// HTTP long-polling (engine.io-protocol § Polling): one GET and one POST in flight per
// transport, each an async-http-client request whose delegate lives on the Manager's event
// loop, so its result is handled there by the driver directly. (Pinning the channel to that
// loop too, `.delegateAndChannel(on:)`, made async-http-client 1.37 open a new connection
// for every request: over TLS a server reading the client certificate from the handshake's
// connection, as TLSTests' `peer-cert` does, no longer found it, and in plain HTTP siod-bench
// measured 41k polled events/s instead of 65k and a 649 µs ack p50 instead of 414.)
extension ManagerDriver {
    /// `t`: a cache-busting value (engine.io-client `randomString`).
    func timestamp() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return String((0..<8).map { _ in alphabet[Int(self.random.next() % 36)] })
    }

    func requestHeaders(now: Int64) -> [(String, String)] {
        var headers = self.options.extraHeaders
        if let cookie = self.cookies.header(now: now) { headers.append(("Cookie", cookie)) }
        return headers
    }

    /// How long a request may take: the long-poll GET waits up to a heartbeat.
    var requestTimeout: TimeAmount {
        .milliseconds(max(Int64(60_000), (self.machine.heartbeatInterval ?? 0) + 10_000))
    }

    func startGet(_ id: ConnectionID, sid: String?) {
        self.startRequest(id, method: .GET, sid: sid, body: nil)
    }

    func startPost(_ id: ConnectionID, sid: String, body: String) {
        self.startRequest(id, method: .POST, sid: sid, body: body)
    }

    private func startRequest(_ id: ConnectionID, method: HTTPMethod, sid: String?, body: String?) {
        let isGet = method == .GET
        let failure = isGet ? "xhr poll error" : "xhr post error"
        let url = self.engineURL.string(transport: .polling, timestamp: self.timestamp(), sid: sid)
        let request: HTTPClient.Request
        do {
            var headers = HTTPHeaders(self.requestHeaders(now: self.now))
            // The whole payload in one buffer with its Content-Length: python-engineio's aiohttp
            // driver reads a POST body that arrives in chunks only in part.
            var payload: HTTPClient.Body?
            if let body {
                headers.replaceOrAdd(name: "Content-Type", value: "text/plain;charset=UTF-8")
                payload = .byteBuffer(ByteBuffer(string: body))
            }
            request = try HTTPClient.Request(url: url, method: method, headers: headers, body: payload)
        } catch {
            // Fails on the next turn, as a request would.
            self.eventLoop.execute {
                self.handle(isGet ? .pollFailed(id, TransportError(message: failure, description: "\(error)")) : .postFailed(id, TransportError(message: failure, description: "\(error)")))
            }
            return
        }
        if self.httpClient == nil { self.httpClient = PollingClient.acquire(for: self) }
        guard let client = self.httpClient?.client else { return }
        let delegate = ResponseAccumulator(request: request, maxBodySize: isGet ? 1 << 26 : 1 << 20)
        let task = client.execute(
            request: request, delegate: delegate, eventLoop: .delegate(on: self.eventLoop),
            deadline: .now() + self.requestTimeout
        )
        self.requestsInFlight += 1
        self.polling[id, default: PollingRequests()].add(task)
        task.futureResult.whenComplete { result in
            self.requestsInFlight -= 1
            self.polling[id]?.remove(task)
            let input: ManagerInput
            switch result {
            case .success(let response) where response.status == .ok:
                let setCookies = response.headers["set-cookie"]
                input = isGet
                    ? .pollCompleted(id, body: response.body.map { String(buffer: $0) } ?? "", setCookies: setCookies)
                    : .postCompleted(id, setCookies: setCookies)
            case .success(let response):
                let error = TransportError(message: failure, description: "\(response.status.code)")
                input = isGet ? .pollFailed(id, error) : .postFailed(id, error)
            case .failure(let error):
                let error = TransportError(message: failure, description: "\(error)")
                input = isGet ? .pollFailed(id, error) : .postFailed(id, error)
            }
            self.handle(input)
        }
    }
}

/// The requests in flight of one polling transport.
struct PollingRequests {
    private var tasks: [HTTPClient.Task<HTTPClient.Response>] = []

    mutating func add(_ task: HTTPClient.Task<HTTPClient.Response>) { self.tasks.append(task) }

    mutating func remove(_ task: HTTPClient.Task<HTTPClient.Response>) { self.tasks.removeAll { $0 === task } }

    /// Ends them now (they would otherwise hold a pooled connection until their deadline).
    func cancel() { for task in self.tasks { task.cancel() } }
}

/// An `HTTPClient` shared by the Managers of one event loop group with the same proxy and TLS
/// settings (async-http-client sets those per client), counted so that the last Manager to
/// stop using it shuts it down. Its per-host connection limit is raised so that the long polls
/// of many Managers never queue behind each other.
final class PollingClient: Sendable {
    let client: HTTPClient
    private let key: Key?

    private struct Key: Hashable {
        var group: ObjectIdentifier
        var proxy: ManagerOptions.Proxy?
    }

    private static let shared = NIOLockedValueBox<[Key: (client: PollingClient, users: Int)]>([:])

    private init(client: HTTPClient, key: Key?) {
        self.client = client
        self.key = key
    }

    /// The client for `driver`'s settings: a shared one without custom TLS, else its own.
    static func acquire(for driver: ManagerDriver) -> PollingClient {
        let proxy = driver.proxy
        let make = { PollingClient(client: Self.makeClient(driver: driver, proxy: proxy), key: nil) }
        guard driver.options.tls == nil else { return make() }
        let key = Key(group: ObjectIdentifier(driver.eventLoopGroup), proxy: proxy)
        return Self.shared.withLockedValue { shared in
            if let entry = shared[key] {
                shared[key] = (entry.client, entry.users + 1)
                return entry.client
            }
            let client = PollingClient(client: Self.makeClient(driver: driver, proxy: proxy), key: key)
            shared[key] = (client, 1)
            return client
        }
    }

    /// One Manager no longer uses the client.
    func release() {
        guard let key = self.key else {
            self.client.shutdown { _ in }
            return
        }
        let last = Self.shared.withLockedValue { shared -> Bool in
            guard let entry = shared[key] else { return false }
            if entry.users > 1 {
                shared[key] = (entry.client, entry.users - 1)
                return false
            }
            shared[key] = nil
            return true
        }
        if last { self.client.shutdown { _ in } }
    }

    private static func makeClient(driver: ManagerDriver, proxy: ManagerOptions.Proxy?) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = driver.options.tls
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1 << 20)
        // A refused connection or failed TLS handshake is the attempt's `xhr poll error` at once,
        // as in the reference; the Manager's backoff does the retrying (AsyncHTTPClient would
        // otherwise retry quietly until the request's deadline and the attempt end in `timeout`).
        configuration.connectionPool.retryConnectionEstablishment = false
        if let proxy {
            configuration.proxy = .server(host: proxy.host, port: proxy.port)
        }
        return HTTPClient(eventLoopGroupProvider: .shared(driver.eventLoopGroup), configuration: configuration)
    }
}
