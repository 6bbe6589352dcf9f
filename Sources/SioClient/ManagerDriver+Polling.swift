import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SioProtocol

// HTTP long-polling (engine.io-protocol § Polling): one GET and one POST in flight per
// transport, each a child task of the pump that posts its result back as an input.
extension ManagerDriver {
    /// `t`: a cache-busting value (engine.io-client `randomString`).
    func timestamp() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return String((0..<8).map { _ in alphabet[Int(self.random.next() % 36)] })
    }

    func requestHeaders(now: Int64) -> [(String, String)] {
        var headers = self.manager.options.extraHeaders
        if let cookie = self.cookies.header(now: now) { headers.append(("Cookie", cookie)) }
        return headers
    }

    /// How long a request may take: the long-poll GET waits up to a heartbeat.
    var requestTimeout: TimeAmount {
        .milliseconds(max(Int64(60_000), (self.machine.heartbeatInterval ?? 0) + 10_000))
    }

    func startGet(_ id: ConnectionID, sid: String?, group: inout DiscardingTaskGroup) {
        guard let client = self.httpClient else { return }
        var request = HTTPClientRequest(url: self.manager.engineURL.string(transport: .polling, timestamp: self.timestamp(), sid: sid))
        request.method = .GET
        for (name, value) in self.requestHeaders(now: self.now) { request.headers.add(name: name, value: value) }
        let input = self.manager.input
        let timeout = self.requestTimeout
        let closer = self.closer(for: id)
        self.requestsInFlight += 1
        group.addTask {
            do {
                let (response, body) = try await closer.race { [request] in
                    let response = try await client.execute(request, timeout: timeout)
                    return (response, try await response.body.collect(upTo: 1 << 26))
                }
                let setCookies = response.headers["set-cookie"]
                guard response.status == .ok else {
                    input.yield(.pollFailed(id, TransportError(message: "xhr poll error", description: "\(response.status.code)")))
                    return
                }
                input.yield(.pollCompleted(id, body: String(buffer: body), setCookies: setCookies))
            } catch {
                input.yield(.pollFailed(id, TransportError(message: "xhr poll error", description: "\(error)")))
            }
        }
    }

    func startPost(_ id: ConnectionID, sid: String, body: String, group: inout DiscardingTaskGroup) {
        guard let client = self.httpClient else { return }
        var request = HTTPClientRequest(url: self.manager.engineURL.string(transport: .polling, timestamp: self.timestamp(), sid: sid))
        request.method = .POST
        for (name, value) in self.requestHeaders(now: self.now) { request.headers.add(name: name, value: value) }
        request.headers.replaceOrAdd(name: "Content-Type", value: "text/plain;charset=UTF-8")
        request.body = .bytes(ByteBuffer(string: body))
        let input = self.manager.input
        let timeout = self.requestTimeout
        let closer = self.closer(for: id)
        self.requestsInFlight += 1
        group.addTask {
            do {
                let response = try await closer.race { [request] in
                    let response = try await client.execute(request, timeout: timeout)
                    _ = try await response.body.collect(upTo: 1 << 20)
                    return response
                }
                let setCookies = response.headers["set-cookie"]
                guard response.status == .ok else {
                    input.yield(.postFailed(id, TransportError(message: "xhr post error", description: "\(response.status.code)")))
                    return
                }
                input.yield(.postCompleted(id, setCookies: setCookies))
            } catch {
                input.yield(.postFailed(id, TransportError(message: "xhr post error", description: "\(error)")))
            }
        }
    }

    /// The closer of polling transport `id`, made on its first request.
    private func closer(for id: ConnectionID) -> TransportCloser {
        if let closer = self.pollingClosers[id] { return closer }
        let closer = TransportCloser()
        self.pollingClosers[id] = closer
        return closer
    }
}
